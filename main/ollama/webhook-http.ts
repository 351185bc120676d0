/**
 * The HTTP side of webhook deliveries. Lives here because undici stays inside main/ollama; the policy
 * (what counts as success, when to retry) lives in main/webhooks.
 */
import { Agent, type Dispatcher } from 'undici';
import net, { type LookupFunction } from 'node:net';

export interface WebhookAgentOptions {
  /** Resolves and vets the receiver's addresses; the socket connects to what it returns. */
  lookup: LookupFunction;
  /** @default 15000 */
  connectTimeoutMs?: number;
}

export function createWebhookAgent(options: WebhookAgentOptions): Dispatcher {
  return new Agent({ connect: { lookup: options.lookup, timeout: options.connectTimeoutMs ?? 15_000 } });
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Cap on the whole exchange, connect to last response byte read. */
  timeoutMs: number;
  /** Response bytes kept; the rest is not read. */
  responseCap: number;
  signal?: AbortSignal;
}

export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  /** The first `responseCap` bytes of the body, as UTF-8. */
  body: string;
}

/** Thrown when `timeoutMs` passed before the receiver answered. */
export class WebhookTimeoutError extends Error {
  readonly code = 'WEBHOOK_TIMEOUT';
}

function flatten(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      chunks.push(buf.subarray(0, cap - size));
      size += Math.min(buf.length, cap - size);
      // Leaving the loop destroys the body; with `reset` the connection is not reused anyway.
      if (size >= cap) break;
    }
  } catch {
    // The status already arrived: a body cut short by the time cap or a reset is still an answer.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One POST, never following redirects (undici's request does not). Resolves with the answer whatever
 * its status; rejects with undici's error, or a WebhookTimeoutError when `timeoutMs` ran out.
 */
export async function postWebhook(dispatcher: Dispatcher, req: WebhookRequest): Promise<WebhookResponse> {
  const url = new URL(req.url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new WebhookTimeoutError(`no answer within ${req.timeoutMs} ms`)), req.timeoutMs);
  const onAbort = () => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
      // A name gets a fresh connection per attempt, so every attempt resolves it and checks the address
      // again (DNS rebinding). An IP literal cannot move: its connection is kept alive and reused.
      reset: net.isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0,
    });
    const body = await readCapped(res.body, req.responseCap);
    return { status: res.statusCode, headers: flatten(res.headers), body };
  } catch (err) {
    // undici reports an abort in its own words; the reason says whether it was the time cap.
    if (controller.signal.aborted && controller.signal.reason instanceof Error) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}
