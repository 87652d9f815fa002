import { AppError } from '../shared/app-error.js';

/** A parsed five-field cron expression (minute hour day-of-month month day-of-week), in UTC. */
export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** As in Vixie cron: when both day fields are restricted, either may match. */
  dayOr: boolean;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

const MACROS: Record<string, string> = { '@hourly': '0 * * * *', '@daily': '0 0 * * *', '@weekly': '0 0 * * 0', '@monthly': '0 0 1 * *' };

function field(text: string, f: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new AppError('invalid_argument', `cron ${f.name} field "${text}" is not valid (use *, n, a-b, */s, lists)`);
    const lo = m[1] === '*' ? f.min : Number(m[2]);
    const hi = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < f.min || hi > f.max || lo > hi || step < 1) throw new AppError('invalid_argument', `cron ${f.name} field "${text}" is out of range ${f.min}-${f.max}`);
    for (let v = lo; v <= hi; v += step) out.add(f.name === 'day of week' && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses `m h dom mon dow` (or @hourly, @daily, @weekly, @monthly). */
export function parseCron(expr: string): Cron {
  const text = MACROS[expr.trim()] ?? expr.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new AppError('invalid_argument', `cron expression "${expr}" needs five fields (minute hour day-of-month month day-of-week)`);
  const [mi, h, d, mo, w] = parts.map((p, i) => field(p, FIELDS[i]!));
  return { minutes: mi!, hours: h!, days: d!, months: mo!, weekdays: w!, dayOr: parts[2] !== '*' && parts[4] !== '*' };
}

export function cronMatches(c: Cron, t: Date): boolean {
  if (!c.minutes.has(t.getUTCMinutes()) || !c.hours.has(t.getUTCHours()) || !c.months.has(t.getUTCMonth() + 1)) return false;
  const dom = c.days.has(t.getUTCDate());
  const dow = c.weekdays.has(t.getUTCDay());
  return c.dayOr ? dom || dow : dom && dow;
}

/** The latest minute in (`after`, `now`] that matches, or null. */
export function lastTick(c: Cron, now: Date, after: Date): Date | null {
  let t = Math.floor(now.getTime() / 60_000) * 60_000;
  for (; t > after.getTime(); t -= 60_000) if (cronMatches(c, new Date(t))) return new Date(t);
  return null;
}
