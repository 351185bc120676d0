/** What the /jobs benchmarks share: the foreman flags, submit bodies, the receiver's records, a seeded PRNG. */
import { randomBytes } from 'node:crypto';
import type { Delivery } from './webhook-receiver.js';

export type { Delivery } from './webhook-receiver.js';

export const MODEL = 'llama3.2';
export const TERMINAL_TYPES = new Set(['job.succeeded', 'job.failed', 'job.canceled']);
export const TERMINAL_STATES = new Set(['succeeded', 'failed', 'canceled']);
export const JSON_HEADERS = { 'content-type': 'application/json' };

/** A fresh Standard Webhooks secret, given to foreman and to the receiver that checks signatures. */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** foreman's flags for the jobs benchmarks: a known secret, and quick retries so nothing waits for 5 s. */
export function jobFlags(secret: string): string[] {
  return ['--webhook-secret', secret, '--webhook-retries', '100ms,100ms'];
}

export function submitBody(hookUrl: string, i: number, tokens: number, bench: string): string {
  return JSON.stringify({
    api: 'generate',
    request: { model: MODEL, prompt: `job ${i} [[sim:tokens=${tokens}]]`, stream: false },
    webhook: { url: hookUrl },
    metadata: { bench, i },
  });
}

/** The receiver's records from index `from` on. */
export async function fetchReceived(receiverUrl: string, from = 0): Promise<Delivery[]> {
  const res = await fetch(`${receiverUrl}/__received?from=${from}`);
  if (!res.ok) throw new Error(`receiver answered ${res.status}`);
  return (await res.json()) as Delivery[];
}

export async function receivedCount(receiverUrl: string): Promise<number> {
  const res = await fetch(`${receiverUrl}/__stats`);
  return ((await res.json()) as { received: number }).received;
}

/** Polls `done` every `everyMs` until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(done: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The simulator's seeded PRNG, so a crash schedule can be replayed from its seed. */
export { prng } from '../main/sim/sim-text.js';
