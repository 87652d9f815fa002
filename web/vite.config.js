import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The production bundle's budget, gzipped: the build fails above it. */
const BUDGET_BYTES = 300 * 1024;

/** Prints the gzipped size of everything the page loads, and refuses a bundle over budget. */
function bundleBudget() {
  return {
    name: 'sextant-bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let total = 0;
      const lines = [];
      for (const [name, out] of Object.entries(bundle)) {
        if (!/\.(js|css|html)$/.test(name)) continue;
        const bytes = gzipSync(out.type === 'chunk' ? out.code : out.source, { level: 9 }).length;
        total += bytes;
        lines.push(`  ${name}: ${(bytes / 1024).toFixed(1)} KB`);
      }
      const summary = `dashboard bundle: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`;
      this.info?.(`\n${lines.join('\n')}`);
      process.stdout.write(`${summary}\n`);
      if (total > BUDGET_BYTES) this.error(`${summary}: over budget`);
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), bundleBudget()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The dashboard is served by `sextant server` only; modern Chromium, Firefox and Safari.
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    // One chunk of about 550 KB (166 KB gzipped): the budget below is what counts.
    chunkSizeWarningLimit: 800,
  },
  logLevel: 'warn',
});
