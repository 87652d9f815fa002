import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import { CpuMeter } from './cpu-meter.js';

describe('CpuMeter', () => {
  it('splits the CPU time spent while calls overlap equally among the calls in flight, and charges no one when none is', () => {
    let cpu = 0;
    // Attribution reads no database; flushing is exercised with the app in test/business-value.test.ts.
    const meter = new CpuMeter(undefined as unknown as Kysely<DB>, silentLogger, () => 0, () => cpu);
    cpu = 500; // before any call: nobody's
    const a = meter.begin('fraud');
    cpu += 100; // a alone: 100 to a
    const b = meter.begin('churn');
    cpu += 60; // a and b: 30 each
    expect(meter.end(a, 1)).toBe(130);
    cpu += 40; // b alone
    expect(meter.end(b, 3)).toBe(70);
    cpu += 1000; // idle again
    const c = meter.begin('fraud');
    expect(meter.end(c, 0)).toBe(0);
  });
});
