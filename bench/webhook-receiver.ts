/**
 * A webhook receiver for the /jobs benchmarks, run in its own process (bench/servers.ts starts it).
 * `POST` anywhere but `/__*` is a delivery: it is answered 200 as soon as its body is in, and recorded
 * with its arrival time and whether its Standard Webhooks signature checks out.
 * `GET /__received?from=N` returns the records from index N on (the bench polls incrementally);
 * `GET /__stats` returns the counts.
 *
 * `tsx bench/webhook-receiver.ts --listen 127.0.0.1:0 --secret whsec_…` prints
 * `webhook-receiver listening on http://HOST:PORT`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

/** One delivery as it arrived. Times are wall-clock epoch milliseconds, as foreman's event timestamps. */
export interface Delivery {
  /** webhook-id: the same for every attempt of one event. */
  id: string;
  type: string;
  job: string;
  state: string;
  /** The event's `timestamp` (the state change), parsed. */
  eventAt: number;
  /** When the request body had fully arrived here. */
  arrivedAt: number;
  signatureOk: boolean;
}

const { values } = parseArgs({
  options: { listen: { type: 'string', default: '127.0.0.1:0' }, secret: { type: 'string' } },
  strict: true,
});
const [host, port] = (() => {
  const m = /^(.*):(\d+)$/.exec(values.listen);
  if (!m) throw new Error(`--listen wants HOST:PORT, got ${values.listen}`);
  return [m[1]!, Number(m[2])];
})();
const key = values.secret ? Buffer.from(values.secret.replace(/^whsec_/, ''), 'base64') : null;

const received: Delivery[] = [];
let malformed = 0;
const wallNow = () => performance.timeOrigin + performance.now();

function signatureOk(id: string, timestamp: string, signatures: string, body: Buffer): boolean {
  if (!key) return true;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(' ').some((s) => {
    const [version, mac] = s.split(',');
    if (version !== 'v1' || !mac) return false;
    const got = Buffer.from(mac, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

function record(req: http.IncomingMessage, raw: Buffer, arrivedAt: number): void {
  const header = (name: string) => String(req.headers[name] ?? '');
  try {
    const body = JSON.parse(raw.toString('utf8')) as { type: string; timestamp: string; data: { id: string; state: string } };
    received.push({
      id: header('webhook-id'),
      type: body.type,
      job: body.data.id,
      state: body.data.state,
      eventAt: Date.parse(body.timestamp),
      arrivedAt,
      signatureOk: signatureOk(header('webhook-id'), header('webhook-timestamp'), header('webhook-signature'), raw),
    });
  } catch {
    malformed++;
  }
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith('/__received')) {
    const from = Number(new URL(url, 'http://x').searchParams.get('from') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received.slice(from)));
    return;
  }
  if (req.method === 'GET' && url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: received.length, malformed }));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const arrivedAt = wallNow();
    res.writeHead(200).end();
    record(req, Buffer.concat(chunks), arrivedAt);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  console.log(`webhook-receiver listening on http://${address.address}:${address.port}`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
