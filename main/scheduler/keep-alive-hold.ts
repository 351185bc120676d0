/**
 * keep_alive without thrash: while a lane still has jobs waiting, a request whose keep_alive would let
 * Ollama unload the runner before the lane's next job starts is sent with one just long enough to
 * bridge the gap (the next job starts as this one ends). The lane's last job keeps the client's own
 * value, so the runner still unloads when the client asked. This is the only change foreman makes to a
 * forwarded body (ADR-0016).
 */
import { keepAliveMs } from '../ollama/go-duration.js';
import { DEFAULT_KEEP_ALIVE_MS } from './scheduler.js';

/** Covers the gap between a job's end and the next start in its lane, with room for a slow client. */
export const HOLD_MS = 10_000;
const HOLD_VALUE = '10s';

export interface KeepAliveChoice {
  /** The keep_alive the runner will have after this request (ms; Infinity = forever). */
  ms: number;
  /** The value foreman sends in place of the client's, or null to forward the body untouched. */
  sent: string | null;
}

export function chooseKeepAlive(clientValue: unknown, holdRunner: boolean): KeepAliveChoice {
  const ms = keepAliveMs(clientValue);
  if (ms === undefined) return { ms: DEFAULT_KEEP_ALIVE_MS, sent: null };
  if (!holdRunner || ms >= HOLD_MS) return { ms, sent: null };
  return { ms: HOLD_MS, sent: HOLD_VALUE };
}

const CLOSE = 0x7d; // }
const OPEN = 0x7b; // {

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * The body with `"keep_alive": value` added as its last member. Go's encoding/json takes the last of
 * duplicate keys, so Ollama reads the new value while every byte the client sent stays as it was.
 */
export function withKeepAlive(body: Buffer, value: string): Buffer {
  let end = body.length - 1;
  while (end >= 0 && isSpace(body[end] as number)) end--;
  if (body[end] !== CLOSE) return body;
  let inner = end - 1;
  while (inner >= 0 && isSpace(body[inner] as number)) inner--;
  const empty = body[inner] === OPEN;
  const member = Buffer.from(`${empty ? '' : ','}"keep_alive":${JSON.stringify(value)}`);
  return Buffer.concat([body.subarray(0, end), member, body.subarray(end)]);
}
