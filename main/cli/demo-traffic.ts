/**
 * `npm run demo -- --traffic`: something to watch. Mixed work goes to foreman in waves (a burst that
 * fills several lanes, then a trickle while they drain): streamed and whole answers on the native and
 * `/v1` routes for several models, embeddings, and `/jobs` whose webhooks go to a receiver here that
 * fails first attempts (so retries show) and, for a few jobs, every attempt (so exhausted ones show).
 *
 * Bounded by construction: one request per step at a modest pace, never while foreman already holds
 * `maxQueued` waiting jobs, and only to loopback addresses. stop() aborts what is in flight.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TrafficOptions {
  /** foreman's address; must be loopback. */
  url: string;
  /** Requests in the burst that opens each wave. @default 8 */
  burst?: number;
  /** Gap between burst requests. @default 400 */
  burstGapMs?: number;
  /** Gap between trickle requests. @default 4000 */
  trickleGapMs?: number;
  /** Length of one wave, burst included. @default 30000 */
  waveMs?: number;
  /** No new request while foreman has this many waiting. @default 12 */
  maxQueued?: number;
  /** @default Math.random */
  random?: () => number;
}

export interface Traffic {
  /** Where the webhooks go: `…/flaky` fails each delivery's first attempt, `…/down` every attempt. */
  receiverUrl: string;
  /** Requests sent, and webhook attempts received (failed ones included). */
  counts(): { sent: number; skipped: number; webhooks: number };
  stop(): Promise<void>;
}

const PROMPTS = [
  'Summarise the plot of Hamlet in a paragraph',
  'Write a haiku about a river at night',
  'Explain why loading a model takes seconds',
  'List five uses for a paperclip',
  'Translate "good morning" into French, then explain the grammar',
  'Draft a polite reply declining a meeting',
  'Describe a lighthouse to someone who has never seen the sea',
];

interface Request {
  path: string;
  body: Record<string, unknown>;
}

/** One request of the mix; `n` content tokens for the answers that have them. */
function pick(random: () => number, receiverUrl: string): Request {
  const prompt = `${PROMPTS[Math.floor(random() * PROMPTS.length)]} [[sim:tokens=${15 + Math.floor(random() * 50)}]]`;
  const messages = [{ role: 'user', content: prompt }];
  const r = random();
  if (r < 0.25) return { path: '/api/chat', body: { model: 'llama3.2', messages } };
  if (r < 0.4) return { path: '/v1/chat/completions', body: { model: 'qwen3:0.6b', stream: true, messages } };
  if (r < 0.55) return { path: '/api/generate', body: { model: 'gemma3:1b', prompt, stream: false } };
  if (r < 0.7) return { path: '/api/embed', body: { model: 'nomic-embed-text', input: [prompt, 'a second passage to index'] } };
  // Async jobs: most webhooks succeed on a retry, one in six never does.
  const hook = random() < 1 / 6 ? 'down' : 'flaky';
  const chat = random() < 0.5;
  return {
    path: '/jobs',
    body: {
      api: chat ? 'chat' : 'generate',
      request: chat ? { model: 'mistral', messages } : { model: 'llama3.2', prompt },
      webhook: { url: `${receiverUrl}/${hook}` },
      metadata: { demo: true },
      priority: Math.floor(random() * 3),
    },
  };
}

/** The webhook receiver: records attempts per webhook-id and fails the ones it is meant to. */
function startReceiver(onAttempt: () => void): Promise<http.Server> {
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onAttempt();
      const id = String(req.headers['webhook-id'] ?? '');
      const attempt = (seen.get(id) ?? 0) + 1;
      seen.set(id, attempt);
      // Ids are kept only while they may come again.
      if (seen.size > 10_000) seen.delete(seen.keys().next().value as string);
      const fail = req.url === '/down' || (req.url === '/flaky' && attempt === 1);
      res.writeHead(fail ? 503 : 204).end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export async function startTraffic(options: TrafficOptions): Promise<Traffic> {
  const host = new URL(options.url).hostname.replace(/^\[|\]$/g, '');
  if (host !== 'localhost' && host !== '::1' && !/^127\./.test(host))
    throw new Error(`demo traffic goes to loopback only, not ${options.url}`);
  const random = options.random ?? Math.random;
  const burst = options.burst ?? 8;
  const burstGapMs = options.burstGapMs ?? 400;
  const trickleGapMs = options.trickleGapMs ?? 4000;
  const waveMs = options.waveMs ?? 30_000;
  const maxQueued = options.maxQueued ?? 12;
  const counts = { sent: 0, skipped: 0, webhooks: 0 };
  const abort = new AbortController();
  const receiver = await startReceiver(() => counts.webhooks++);
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  let timer: NodeJS.Timeout | null = null;

  async function queued(): Promise<number> {
    const res = await fetch(`${options.url}/foreman/health`, { signal: abort.signal });
    return ((await res.json()) as { queued: number }).queued;
  }

  async function send(): Promise<void> {
    if ((await queued()) >= maxQueued) {
      counts.skipped++;
      return;
    }
    const { path, body } = pick(random, receiverUrl);
    counts.sent++;
    const res = await fetch(`${options.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: abort.signal,
    });
    // Read streams to their end, as a client would; the window shows them arriving.
    await res.arrayBuffer();
  }

  // One wave: `burst` requests `burstGapMs` apart, then one every `trickleGapMs` until the wave ends.
  let step = 0;
  let waveStart = Date.now();
  function next(): void {
    if (abort.signal.aborted) return;
    const inBurst = step < burst;
    send().catch(() => {
      // foreman restarting or closing: the next step tries again.
    });
    step++;
    let delay = inBurst && step < burst ? burstGapMs : trickleGapMs * (0.75 + random() / 2);
    if (Date.now() + delay - waveStart >= waveMs) {
      delay = Math.max(0, waveStart + waveMs - Date.now());
      waveStart += waveMs;
      step = 0;
    }
    timer = setTimeout(next, delay);
  }
  next();

  return {
    receiverUrl,
    counts: () => ({ ...counts }),
    async stop() {
      abort.abort();
      if (timer) clearTimeout(timer);
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    },
  };
}
