import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * Job ids sort by creation time (cursor pagination and `ORDER BY id` rely on it): base-36 milliseconds,
 * a per-millisecond counter, then randomness so ids from two processes never collide.
 */
// Drawing from a pool: one getrandom call per 512 ids instead of one per id.
let pool = Buffer.alloc(0);
let offset = 0;
function random4(): string {
  if (offset + 4 > pool.length) {
    pool = randomBytes(2048);
    offset = 0;
  }
  offset += 4;
  return pool.toString('hex', offset - 4, offset);
}

export function newJobId(now = Date.now()): string {
  if (now === lastMs) counter++;
  else { lastMs = now; counter = 0; }
  return `job_${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(3, '0')}${random4()}`;
}
