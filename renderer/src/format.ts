/** Display formatting: durations, clock times, token rates. */

/** "0.4 s", "12 s", "3 m 05 s", "1 h 02 m". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.max(0, ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 10_000) return `${(abs / 1000).toFixed(1)} s`;
  const s = Math.round(abs / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

/** Nanoseconds (Ollama's figures) as a duration. */
export function durationNs(ns: number | null | undefined): string {
  return ns === null || ns === undefined ? '—' : duration(ns / 1e6);
}

/** A rough estimate: "~12 s". */
export function eta(ms: number): string {
  if (ms < 1000) return '~1 s';
  return `~${duration(ms).replace(/^(\d+)\.\d s$/, '$1 s')}`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A clock time; with the date when it is not today. */
export function clock(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
}

export function isoTitle(t: number | string | null | undefined): string | undefined {
  if (t === null || t === undefined) return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function rate(r: number | null): string {
  return r === null ? '—' : `${r.toFixed(r < 10 ? 1 : 0)} tok/s`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString();
}

/** Where a job came from, in a few words: "/jobs" or the passthrough route and client. */
export function sourceLabel(job: { source: string; route: string; client: string | null }): string {
  if (job.source === 'jobs') return '/jobs';
  const agent = job.client?.split(' ').slice(1).join(' ').split('/')[0];
  return agent ? `${job.route} · ${agent}` : job.route;
}
