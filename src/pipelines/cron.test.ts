import { describe, expect, it } from 'vitest';
import { cronMatches, lastTick, parseCron } from './cron.js';

describe('cron', () => {
  it('matches steps, ranges, lists and the day-field OR rule', () => {
    const c = parseCron('*/15 9-17 * * 1-5');
    expect(cronMatches(c, new Date('2026-11-27T09:45:00Z'))).toBe(true); // a Friday
    expect(cronMatches(c, new Date('2026-11-28T09:45:00Z'))).toBe(false); // Saturday
    expect(cronMatches(c, new Date('2026-11-27T09:44:00Z'))).toBe(false);
    const either = parseCron('0 0 1 * 0');
    expect(cronMatches(either, new Date('2026-11-01T00:00:00Z'))).toBe(true); // 1st (a Sunday too)
    expect(cronMatches(either, new Date('2026-11-08T00:00:00Z'))).toBe(true); // a Sunday
    expect(cronMatches(either, new Date('2026-11-09T00:00:00Z'))).toBe(false);
    expect(cronMatches(parseCron('@daily'), new Date('2026-11-09T00:00:00Z'))).toBe(true);
  });

  it('finds the last tick in a window and refuses bad fields by name', () => {
    const c = parseCron('30 * * * *');
    expect(lastTick(c, new Date('2026-11-27T10:31:10Z'), new Date('2026-11-27T10:00:00Z'))?.toISOString()).toBe('2026-11-27T10:30:00.000Z');
    expect(lastTick(c, new Date('2026-11-27T10:29:10Z'), new Date('2026-11-27T10:00:00Z'))).toBeNull();
    expect(() => parseCron('61 * * * *')).toThrow(/minute field "61" is out of range 0-59/);
    expect(() => parseCron('* * *')).toThrow(/needs five fields/);
  });
});
