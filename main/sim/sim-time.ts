/**
 * Clock helpers for the simulator: nanosecond timestamps (Ollama reports integer nanoseconds and
 * prints up to nine fractional digits) and abortable sleeps.
 */

const baseWallNs = BigInt(Date.now()) * 1_000_000n;
const baseMonoNs = process.hrtime.bigint();

/** Wall-clock time in nanoseconds, monotonic within the process. */
export function nowNs(): bigint {
  return baseWallNs + (process.hrtime.bigint() - baseMonoNs);
}

/** Elapsed nanoseconds as a JSON-safe integer (never 0: Ollama drops zero metrics, real timings never are). */
export function elapsedNs(fromNs: bigint, toNs: bigint = nowNs()): number {
  return Math.max(1, Number(toNs - fromNs));
}

/** Go's RFC3339Nano: trailing zeros of the fraction are trimmed, and the dot goes with them. */
function fraction(ns: bigint): string {
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return frac === '' ? '' : `.${frac}`;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** `created_at`: UTC with `Z`, like `time.Now().UTC()` marshalled by Go. */
export function formatUtc(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return `${isoSeconds(ms)}${fraction(ns)}Z`;
}

/**
 * `expires_at` / `modified_at`: the server's local zone with a numeric offset. Go would print `Z`
 * for a zero offset; the simulator always prints the offset form so clients cannot rely on `Z`.
 */
export function formatLocal(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const offsetMin = -new Date(ms).getTimezoneOffset();
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${isoSeconds(ms + offsetMin * 60_000)}${fraction(ns)}${offset}`;
}

/** Resolves after `ms` (a macrotask even for 0, so aborts and other sockets get a turn); rejects on abort. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = ms > 0 ? setTimeout(done, ms) : undefined;
    const immediate = ms > 0 ? undefined : setImmediate(done);
    const onAbort = () => {
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Never resolves; rejects with the signal's reason once it aborts (for `Promise.race`). */
export function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
