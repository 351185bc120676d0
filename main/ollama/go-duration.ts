/**
 * Go's `time.ParseDuration` (Ollama reads a string `keep_alive` with it), in milliseconds, with Go's
 * error texts, and Ollama's `api.Duration` rules for `keep_alive` values.
 */

export class DurationError extends Error {}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's `time.ParseDuration`, in milliseconds, with its error texts. */
export function parseGoDuration(s: string): number {
  const quoted = JSON.stringify(s);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationError(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== '') {
    const num = /^(\d*)(\.\d*)?/.exec(rest);
    if (!num || num[0] === '' || num[0] === '.') throw new DurationError(`time: invalid duration ${quoted}`);
    rest = rest.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') throw new DurationError(`time: missing unit in duration ${quoted}`);
    const scale = DURATION_UNITS[unit];
    if (scale === undefined) throw new DurationError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    total += Number(num[0]) * scale;
    rest = rest.slice(unit.length);
  }
  return sign * total;
}

/**
 * A `keep_alive` value as Ollama reads it, in ms: a number is seconds, a string a Go duration, negative
 * is forever (Infinity); undefined when absent or unreadable (Ollama then keeps its default).
 */
export function keepAliveMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value < 0 ? Infinity : value * 1000;
  if (typeof value !== 'string') return undefined;
  try {
    const ms = parseGoDuration(value);
    return ms < 0 ? Infinity : ms;
  } catch {
    return undefined;
  }
}
