import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * Job ids sort by creation time (cursor pagination and `ORDER BY id` rely on it): base-36 milliseconds,
 * a per-millisecond counter, then randomness so ids from two processes never collide.
 */
// Ids are made on hot paths (every request, every webhook): one getrandom call per 2 KiB of ids.
let pool = Buffer.alloc(0);
let offset = 0;

/** `bytes` random bytes as hex, from a pool. */
export function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(2048);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}

export function newJobId(now = Date.now()): string {
  if (now === lastMs) counter++;
  else { lastMs = now; counter = 0; }
  return `job_${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(3, '0')}${randomHex(4)}`;
}
