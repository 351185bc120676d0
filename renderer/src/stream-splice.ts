/**
 * Joining a fetched partial answer with the token deltas this window received. The partial is the
 * stream's text from its start up to the fetch; the buffer is the stream from wherever this window
 * began listening. Deltas are batched by the server, so the partial can be ahead of the buffer, and
 * the buffer can begin before the partial ends: find where the buffer continues the partial.
 */

/** An overlap shorter than this (unless it is the whole partial) may be a coincidence. */
const MIN_OVERLAP = 24;

/**
 * Where the buffer starts inside the partial (`partial.length - k` characters of overlap), or null
 * while that cannot be told yet (the buffer is empty or still behind the end of the partial).
 */
export function findJoin(partial: string, buffer: string): number | null {
  if (buffer === '') return null;
  const need = Math.min(MIN_OVERLAP, partial.length);
  // The smallest k is the longest overlap: the buffer continuing the partial's last characters.
  for (let k = Math.max(0, partial.length - buffer.length); k <= partial.length - need; k++) {
    if (buffer.startsWith(partial.slice(k))) return k;
  }
  return null;
}

/** The text to show, given a join found before (or null). */
export function joinText(partial: string, buffer: string, join: number | null): string {
  if (join === null) return partial;
  const from = partial.length - join;
  return buffer.length > from ? partial + buffer.slice(from) : partial;
}
