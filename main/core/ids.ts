import { randomBytes } from 'node:crypto';

let lastMs = -1;
let counter = 0;
/** `job_` and the base-36 milliseconds of `lastMs`: the part most ids of a busy millisecond share. */
let prefix = 'job_';

/**
 * Job ids sort by creation time (cursor pagination and `ORDER BY id` rely on it): base-36 milliseconds,
 * a per-millisecond counter, then randomness so ids from two processes never collide.
 */
// Ids are made on hot paths (every request, every webhook): one getrandom call per 2 KiB of ids, and
// the hex digits come from a table rather than a Buffer.toString call into C++ for four bytes.
let pool = Buffer.alloc(0);
let offset = 0;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `bytes` random bytes as hex, from a pool. */
export function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(Math.max(2048, bytes));
    offset = 0;
  }
  let hex = '';
  for (let i = offset; i < offset + bytes; i++) hex += HEX[pool[i]!];
  offset += bytes;
  return hex;
}

export function newJobId(now = Date.now()): string {
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
    prefix = `job_${now.toString(36).padStart(9, '0')}`;
  }
  return `${prefix}${counter.toString(36).padStart(3, '0')}${randomHex(4)}`;
}
