import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * Job ids sort by creation time (cursor pagination and `ORDER BY id` rely on it): base-36 milliseconds,
 * a per-millisecond counter, then randomness so ids from two processes never collide.
 */
export function newJobId(now = Date.now()): string {
  if (now === lastMs) counter++;
  else { lastMs = now; counter = 0; }
  return `job_${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(3, '0')}${randomBytes(4).toString('hex')}`;
}
