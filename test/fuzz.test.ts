import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz/run-fuzz.js';

// Bounded and seeded inside `npm test`; `npm run fuzz -- --runs N --seed S` runs longer.
const runs = Number(process.env.SEXTANT_FUZZ_RUNS ?? 400);
const seed = Number(process.env.SEXTANT_FUZZ_SEED ?? 17);

describe('fuzzing every operation and both inference protocols', () => {
  it(`holds for ${runs} requests (seed ${seed}): no 5xx, no dropped connection, still healthy, a 4xx changes nothing`, async () => {
    const statuses = new Map<number, number>();
    const operations = new Set<string>();
    await runFuzz({
      runs,
      seed,
      onAnswer: (r, status) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status < 300) operations.add(`${r.method} ${r.path.split('?')[0]}`);
      },
    });
    console.log(`fuzz seed ${seed}: ${runs} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ${operations.size} distinct successful paths`);
    // The generator reaches handlers, not only the validation at the edge.
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
  }, 60_000 + runs * 500);
});
