import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../shared/logger.js';
import type { LogWriter } from './log-writers.js';
import { PredictionLog, type PredictionRecord } from './prediction-log.js';

const record = (i: number): PredictionRecord => ({
  requestId: `r${i}`,
  role: 'primary',
  deployment: 'd',
  model: 'm',
  version: 1,
  time: 0,
  features: ['x'],
  batch: { rows: 1, columns: [Float64Array.of(i)] },
  outputs: null,
  latencyMs: 0,
  error: null,
  redact: [],
});

function metrics() {
  const registers = [new Registry()];
  return {
    queued: new Gauge({ name: 'q', help: 'q', registers }),
    dropped: new Counter({ name: 'd', help: 'd', registers }),
    written: new Counter({ name: 'w', help: 'w', registers }),
  };
}

describe('PredictionLog', () => {
  it('keeps up to 4 batches in flight to a writer that answers later, and counts what each answer says', async () => {
    const calls: { size: number; answer: (n: number) => void; fail: (e: Error) => void }[] = [];
    const writer: LogWriter = {
      write: (records) => new Promise((resolve, reject) => calls.push({ size: records.length, answer: resolve, fail: reject })),
      close: async () => {},
    };
    const m = metrics();
    const log = new PredictionLog(null as never, writer, { maxQueue: 1000, batchSize: 10, flushMs: 1000 }, m, silentLogger);
    for (let i = 0; i < 65; i++) log.enqueue(record(i));
    const flushed = log.flush();
    for (let i = 0; i < 50 && calls.length < 4; i++) await new Promise((r) => setImmediate(r));
    expect(calls.map((c) => c.size)).toEqual([10, 10, 10, 10]);
    calls[0]!.answer(10);
    for (let i = 0; i < 50 && calls.length < 5; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(5);
    calls[1]!.fail(new Error('disk full'));
    for (const c of calls.slice(2)) c.answer(c.size);
    await flushed;
    // The refusal stops this pass; what was not taken stays queued for the next one.
    expect((await m.written.get()).values[0]!.value).toBe(40);
    expect((await m.dropped.get()).values[0]!.value).toBe(10);
    expect(log.depth).toBe(15);
  });
});
