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
      write: (segments) => new Promise((resolve, reject) => calls.push({ size: segments[0]!.records, answer: resolve, fail: reject })),
      close: async () => {},
    };
    const m = metrics();
    const log = new PredictionLog(null as never, writer, { maxQueue: 1000, batchSize: 10, batchRows: 160, flushMs: 1000 }, m, silentLogger);
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
    // The refusal stops the pass and counts its batch as dropped; the other batches count as written.
    expect((await m.written.get()).values[0]!.value).toBe(40);
    expect((await m.dropped.get()).values[0]!.value).toBe(10);
  });

  it('writes in a pass what was queued when it began, and a full batch without waiting for the timer', async () => {
    const calls: { ids: string[]; answer: () => void }[] = [];
    const writer: LogWriter = {
      write: (segments) => new Promise((resolve) => calls.push({ ids: segments[0]!.ids.split('\n'), answer: () => resolve(segments[0]!.records) })),
      close: async () => {},
    };
    const m = metrics();
    const log = new PredictionLog(null as never, writer, { maxQueue: 1000, batchSize: 10, batchRows: 160, flushMs: 1_000_000 }, m, silentLogger);
    const settle = async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    for (let i = 0; i < 3; i++) log.enqueue(record(i));
    const first = log.flush();
    await settle();
    for (let i = 3; i < 5; i++) log.enqueue(record(i));
    calls[0]!.answer();
    await first;
    expect(calls.map((c) => c.ids)).toEqual([['r0', 'r1', 'r2']]);
    expect(log.depth).toBe(2);
    // Ten queued records are a batch: written at once, though the timer is far away.
    for (let i = 5; i < 13; i++) log.enqueue(record(i));
    await settle();
    expect(calls.map((c) => c.ids.length)).toEqual([3, 10]);
    calls[1]!.answer();
    await settle();
    expect(log.depth).toBe(0);
    expect((await m.written.get()).values[0]!.value).toBe(13);
  });
});
