import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { SERVICES_REQUIRED } from './databases.js';
import { ROOT } from './processes.js';
import { tempDir } from './app.js';

/** Debian's Chromium, which CI installs (`.ci/run`). */
export const CHROMIUM = process.env.SEXTANT_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'test-results');

/** Whether the browser tests can run; a missing browser fails when services are required. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (SERVICES_REQUIRED) throw new Error(`Chromium at ${CHROMIUM} is required (SEXTANT_TEST_REQUIRE_SERVICES) but missing: apt-get install chromium`);
  console.warn(`SKIP dashboard browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set SEXTANT_TEST_CHROMIUM)`);
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, nothing talking to the network but the pages. */
export async function launchBrowser(): Promise<Browser> {
  const profile = tempDir('sextant-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A page that records every console error and uncaught exception; `assertClean` fails the test
 * on any.
 */
export async function openPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  return { page, problems };
}

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG checks on the page as it is now; serious and critical violations fail. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // Evaluated over the DevTools protocol: the page's content security policy refuses inline scripts.
  if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`)) as { id: string; impact: string; help: string; nodes: string[] }[];
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
