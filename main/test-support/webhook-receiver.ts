/**
 * A real webhook receiver on loopback for tests: records each request as it arrives (before answering)
 * and answers with whatever `respond` says, so tests await arrivals instead of sleeping.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookEventBody {
  type: string;
  timestamp: string;
  data: { [key: string]: unknown; id?: string; job_id?: string; state?: string; sequence?: number };
}

export interface ReceivedWebhook {
  /** Arrival order, from 1. */
  n: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** `webhook-id`. */
  id: string;
  /** `webhook-timestamp`, seconds. */
  timestamp: number;
  /** The body exactly as received. */
  raw: string;
  bytes: Buffer;
  /** The body parsed; an empty event if it was not JSON. */
  body: WebhookEventBody;
  receivedAt: number;
}

/** A status; a status with headers and body; `hang` (never answer); `reset` (drop the connection). */
export type Reply = number | { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';
export type Respond = (request: ReceivedWebhook) => Reply | Promise<Reply>;

export interface Receiver {
  url: string;
  requests: ReceivedWebhook[];
  /** How to answer the next requests. @default () => 204 */
  respond: Respond;
  /** The requests whose event belongs to this job, in arrival order. */
  forJob(jobId: string): ReceivedWebhook[];
  /** Resolves once the n-th request (from 1) has arrived. */
  nth(n: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function parse(raw: string): WebhookEventBody {
  try {
    return JSON.parse(raw) as WebhookEventBody;
  } catch {
    return { type: '', timestamp: '', data: {} };
  }
}

export async function startReceiver(respond: Respond = () => 204): Promise<Receiver> {
  const requests: ReceivedWebhook[] = [];
  let waiters: { n: number; resolve: (r: ReceivedWebhook) => void }[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString('utf8');
      const headers = flatten(req.headers);
      const got: ReceivedWebhook = {
        n: requests.length + 1,
        method: req.method ?? '',
        path: req.url ?? '',
        headers,
        id: headers['webhook-id'] ?? '',
        timestamp: Number(headers['webhook-timestamp']),
        raw,
        bytes,
        body: parse(raw),
        receivedAt: Date.now(),
      };
      requests.push(got);
      waiters = waiters.filter((w) => (w.n <= requests.length ? (w.resolve(requests[w.n - 1]!), false) : true));
      void Promise.resolve()
        .then(() => receiver.respond(got))
        .then((reply) => {
          if (reply === 'hang') return;
          if (reply === 'reset') return void req.socket.destroy();
          const r = typeof reply === 'number' ? { status: reply } : reply;
          res.writeHead(r.status, r.headers);
          res.end(r.body);
        })
        .catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    respond,
    forJob: (jobId) => requests.filter((r) => (r.body.data.job_id ?? r.body.data.id) === jobId),
    nth: (n) => {
      const have = requests[n - 1];
      return have ? Promise.resolve(have) : new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
