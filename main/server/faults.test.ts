/**
 * Fault injection against the real simulator (ADR-0015): a stuck Ollama (`[[sim:hang]]`,
 * `[[sim:hang-after=N]]`), one that dies mid-answer (`[[sim:die-after=N]]`) and one that is not there at
 * all (closed, then started again on its port). For each: what the client sees, what a /jobs job ends
 * as, the webhooks sent (one terminal per job, no webhook-id twice), and that foreman still serves.
 * Timeouts are short (`--upstream-timeout 600ms`); nothing sleeps in place of an event.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { createSimulator, type Simulator, type SimulatorOptions } from '../sim/simulator.js';
import { startForeman, type Foreman } from '../app/foreman.js';
import { parseConfig, type ForemanConfig } from '../core/config.js';
import type { RetryPolicy } from '../jobs/job-runner.js';
import { openStore } from '../store/store.js';
import { tempDir, testConfig } from '../test-support/harness.js';
import { ROOT } from '../test-support/spawn-cli.js';
import { startReceiver, type Receiver } from '../test-support/webhook-receiver.js';

const TIMEOUT_MS = 600;

interface FaultStack {
  sim: Simulator;
  simUrl: string;
  foreman: Foreman;
  url: string;
  /** Stops the simulator: connections are refused on its port. */
  stopOllama(): Promise<void>;
  /** A new simulator on the same port. */
  startOllama(): Promise<void>;
  close(): Promise<void>;
}

const open: FaultStack[] = [];
let hook: Receiver;
let goBin: string;

beforeAll(async () => {
  hook = await startReceiver();
  goBin = path.join(tempDir('foreman-go-'), 'go-client');
  execFileSync('go', ['build', '-o', goBin, '.'], {
    cwd: path.join(ROOT, 'main/test-support/go-client'),
    env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    stdio: 'pipe',
  });
}, 120_000);
afterAll(() => hook.close());
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function start(
  opts: { sim?: SimulatorOptions; retry?: Partial<RetryPolicy>; timeoutMs?: number; config?: Partial<ForemanConfig> } = {},
): Promise<FaultStack> {
  const simOptions = { tokensPerSecond: 0, loadMs: 20, ...opts.sim };
  let sim = createSimulator(simOptions);
  const simUrl = await sim.listen(0, '127.0.0.1');
  const port = Number(new URL(simUrl).port);
  const foreman = await startForeman(testConfig(simUrl, { upstreamTimeoutMs: opts.timeoutMs ?? TIMEOUT_MS, ...opts.config }), {
    jobRetry: opts.retry,
  });
  let simUp = true;
  const s: FaultStack = {
    get sim() {
      return sim;
    },
    simUrl,
    foreman,
    url: foreman.url,
    async stopOllama() {
      simUp = false;
      await sim.close();
    },
    async startOllama() {
      sim = createSimulator(simOptions);
      await sim.listen(port, '127.0.0.1');
      simUp = true;
    },
    async close() {
      await foreman.close(1000);
      if (simUp) await sim.close();
    },
  };
  open.push(s);
  return s;
}

type Json = Record<string, any>;

const post = (base: string, route: string, body: unknown) => fetch(`${base}${route}`, { method: 'POST', body: JSON.stringify(body) });
const chat = (content: string, extra: Json = {}) => ({ model: 'llama3.2', messages: [{ role: 'user' as const, content }], ...extra });

/** The client's view of a body: all its text, and whether reading it failed (a cut connection). */
async function readBody(res: Response): Promise<{ text: string; cut: unknown }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
    return { text, cut: null };
  } catch (error) {
    return { text, cut: error };
  }
}

const ndjson = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Json);
const sseData = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map(
      (e) =>
        e
          .split('\n')
          .find((l) => l.startsWith('data: '))
          ?.slice(6) ?? '',
    );

/** A streamed chat through foreman, read to its end: it must be a 200 whose body ends cleanly. */
async function chatLines(s: FaultStack, content: string): Promise<Json[]> {
  const res = await post(s.url, '/api/chat', chat(content));
  expect(res.status).toBe(200);
  const body = await readBody(res);
  expect(body.cut).toBeNull();
  return ndjson(body.text);
}

/** Reads a client library's stream to its end: what it threw, or null. */
async function failureOf(stream: Promise<AsyncIterable<unknown>>): Promise<unknown> {
  try {
    for await (const _ of await stream) void _;
    return null;
  } catch (e) {
    return e;
  }
}

const openaiAt = (s: FaultStack) => new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });

/** foreman is up and serving: health answers, and a request runs to its end. */
async function expectServing(s: FaultStack): Promise<void> {
  const health = await fetch(`${s.url}/foreman/health`);
  expect(health.status).toBe(200);
  const res = await post(s.url, '/api/generate', { model: 'llama3.2', prompt: 'still there?', stream: false });
  expect(res.status).toBe(200);
  expect(((await res.json()) as Json).done).toBe(true);
}

async function submit(s: FaultStack, request: Json): Promise<string> {
  const res = await fetch(`${s.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api: 'chat', request, webhook: { url: hook.url } }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as Json).id as string;
}

const getJob = async (s: FaultStack, id: string) => (await (await fetch(`${s.url}/jobs/${id}`)).json()) as Json;
const types = (id: string) => hook.forJob(id).map((r) => r.body.type);
const TERMINAL = new Set(['job.succeeded', 'job.failed', 'job.canceled']);

/** Waits for the job's terminal webhook, then checks it was the only one and no webhook-id came twice. */
async function terminalWebhooks(id: string): Promise<string[]> {
  await expect.poll(() => types(id).some((t) => TERMINAL.has(t)), { timeout: 15_000 }).toBe(true);
  const got = hook.forJob(id);
  expect(got.filter((r) => TERMINAL.has(r.body.type))).toHaveLength(1);
  expect(new Set(got.map((r) => r.id)).size).toBe(got.length);
  expect(got.map((r) => r.body.type).at(-1)).toMatch(/^job\.(succeeded|failed|canceled)$/);
  return got.map((r) => r.body.type);
}

function runGo(base: string, prompt: string): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    execFile(goBin, [base, 'llama3.2', prompt], { encoding: 'utf8', timeout: 20_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, err: stderr.trim() });
    });
  });
}

describe('--upstream-timeout', () => {
  it('is a duration, 5m unless set, from the option or FOREMAN_UPSTREAM_TIMEOUT', () => {
    expect(parseConfig([], {}).upstreamTimeoutMs).toBe(300_000);
    expect(parseConfig(['--upstream-timeout', '90s'], {}).upstreamTimeoutMs).toBe(90_000);
    expect(parseConfig([], { FOREMAN_UPSTREAM_TIMEOUT: '2m' }).upstreamTimeoutMs).toBe(120_000);
    expect(() => parseConfig(['--upstream-timeout', '0'], {})).toThrow(/above 0/);
    expect(() => parseConfig(['--upstream-timeout', 'soon'], {})).toThrow(/not a duration/);
  });
});

describe('a stuck Ollama', () => {
  it('a request that never gets a byte ends with 504 {"error"} and frees its slot for the one behind it', async () => {
    const s = await start();
    const stuck = post(s.url, '/api/chat', chat('[[sim:hang]]'));
    await expect.poll(() => s.sim.stats().log.length).toBe(1);
    // Same model, one request at a time: this one waits behind the stuck one.
    const behind = post(s.url, '/api/chat', chat('next', { stream: false }));
    const res = await stuck;
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ error: `Ollama at ${s.simUrl} sent nothing for 600ms (foreman --upstream-timeout)` });
    const next = await behind;
    expect([next.status, ((await next.json()) as Json).done]).toEqual([200, true]);
    // Ollama was told: the stuck request's connection was closed, which frees Ollama's slot too.
    await expect.poll(() => s.sim.stats().log[0]?.outcome).toBe('aborted');
    // /v1 and a request without streaming get the same, each in its own shape.
    const v1 = await post(s.url, '/v1/chat/completions', chat('[[sim:hang]]'));
    expect([v1.status, await v1.json()]).toEqual([
      504,
      { error: { message: expect.stringContaining('sent nothing for 600ms'), type: 'api_error', param: null, code: null } },
    ]);
    const whole = await post(s.url, '/api/generate', { model: 'llama3.2', prompt: 'x [[sim:hang-after=2]]', stream: false });
    expect([whole.status, ((await whole.json()) as Json).error]).toEqual([504, expect.stringContaining('sent nothing')]);
    await expectServing(s);
  });

  it('a stream that stalls ends with an {"error"} line (native) or an error event (/v1), which clients raise', async () => {
    const s = await start();
    const lines = await chatLines(s, 'x [[sim:hang-after=2]]');
    expect(lines.map((l) => l.done)).toEqual([false, false, undefined]);
    expect(lines.at(-1)).toEqual({
      error: `Ollama at ${s.simUrl} stopped sending for 600ms (foreman --upstream-timeout); the answer is incomplete`,
    });

    const ollama = new Ollama({ host: s.url });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const part of await ollama.chat({ ...chat('y [[sim:hang-after=3]]'), stream: true })) seen.push(part.message.content);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect(failure).toMatchObject({ message: expect.stringContaining('stopped sending for 600ms') });

    const oaFailure = await failureOf(openaiAt(s).chat.completions.create({ ...chat('z [[sim:hang-after=1]]'), stream: true }));
    expect(oaFailure).toBeInstanceOf(OpenAI.APIError);
    expect((oaFailure as Error).message).toContain('stopped sending for 600ms');
    await expectServing(s);
  });

  it('a stream that keeps flowing is never cut, however long it takes, while a stuck one beside it is', async () => {
    // 5 tokens a second: 200 ms between pieces, 3 s in all, several times the timeout. One runner, two in flight.
    const s = await start({ sim: { tokensPerSecond: 5, parallel: 2 }, config: { concurrency: 2 }, timeoutMs: 800 });
    const slow = post(s.url, '/api/generate', { model: 'llama3.2', prompt: 'long [[sim:tokens=15]]' });
    const stuck = post(s.url, '/api/generate', { model: 'llama3.2', prompt: '[[sim:hang]]' });
    expect((await stuck).status).toBe(504);
    const body = await readBody(await slow);
    const lines = ndjson(body.text);
    expect([body.cut, lines.length, lines.at(-1)?.done, lines.some((l) => 'error' in l)]).toEqual([null, 16, true, false]);
  });

  it('a /jobs job that times out goes back to the queue with backoff, is tried again, and ends failed with the reason', async () => {
    const s = await start({ retry: { firstMs: 100, maxMs: 400, windowMs: 2500 } });
    const id = await submit(s, chat('[[sim:hang]]'));
    const sent = await terminalWebhooks(id);
    // Every attempt is queued → working; every failed one goes back to queued (with its reason), until the last.
    const attempts = sent.filter((t) => t === 'job.working').length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(sent).toEqual([
      'job.queued',
      ...Array<string[]>(attempts - 1)
        .fill(['job.working', 'job.queued'])
        .flat(),
      'job.working',
      'job.failed',
    ]);
    const retried = hook
      .forJob(id)
      .filter((r) => r.body.type === 'job.queued')
      .slice(1);
    expect(retried[0]?.body.data).toMatchObject({ state: 'queued', attempts: 1, error: expect.stringContaining('sent nothing for 600ms') });
    const job = await getJob(s, id);
    expect(job).toMatchObject({
      state: 'failed',
      attempts,
      error: expect.stringMatching(/sent nothing for 600ms .*\(gave up after \d+ attempts over \d/),
    });
    // Each attempt's request was closed at Ollama: none is left holding a slot there.
    expect(s.sim.stats().log.map((e) => e.outcome)).toEqual(Array(attempts).fill('aborted'));
    expect(s.foreman.scheduler.snapshot().lanes.every((l) => l.waiting.length === 0)).toBe(true);
    await expectServing(s);
  });
});

describe('an Ollama that dies mid-answer', () => {
  it('a native stream ends with an {"error"} line, not a cut connection; ollama-js and a Go client report it', async () => {
    const s = await start();
    const lines = await chatLines(s, 'x [[sim:die-after=2]]');
    expect(lines).toHaveLength(3);
    expect(lines.at(-1)).toEqual({
      error: expect.stringMatching(
        new RegExp(`^Ollama at ${s.simUrl} closed the connection in the middle of its answer \\(.+\\); the answer is incomplete$`),
      ),
    });

    const failure = await failureOf(
      new Ollama({ host: s.url }).generate({ model: 'llama3.2', prompt: 'y [[sim:die-after=1]]', stream: true }),
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('closed the connection in the middle of its answer');

    const go = await runGo(s.url, 'z [[sim:die-after=2]]');
    expect(go.code).toBe(1);
    expect(go.err).toMatch(/^stream error: Ollama at .* closed the connection in the middle of its answer/);
    await expectServing(s);
  });

  it('/v1 streams end with the OpenAI error event; openai-node raises it', async () => {
    const s = await start();
    const res = await post(s.url, '/v1/chat/completions', chat('x [[sim:die-after=2]]', { stream: true }));
    const body = await readBody(res);
    expect(body.cut).toBeNull();
    const events = sseData(body.text);
    expect(events).not.toContain('[DONE]');
    expect(JSON.parse(events.at(-1) as string)).toEqual({
      error: { message: expect.stringContaining('closed the connection in the middle'), type: 'api_error', param: null, code: null },
    });

    const openai = openaiAt(s);
    const chatFailure = await failureOf(openai.chat.completions.create({ ...chat('y [[sim:die-after=1]]'), stream: true }));
    expect(chatFailure).toBeInstanceOf(OpenAI.APIError);
    expect((chatFailure as Error).message).toContain('closed the connection in the middle');

    const completion = await failureOf(openai.completions.create({ model: 'llama3.2', prompt: 'w [[sim:die-after=1]]', stream: true }));
    expect(completion).toBeInstanceOf(OpenAI.APIError);

    // The Responses API has its own error event, with the next sequence number.
    const events2: Json[] = [];
    for await (const e of await openai.responses.create({ model: 'llama3.2', input: 'v [[sim:die-after=2]]', stream: true }))
      events2.push(e as Json);
    const last = events2.at(-1) as Json;
    expect(last).toEqual({
      type: 'error',
      code: null,
      message: expect.stringContaining('closed the connection in the middle'),
      param: null,
      sequence_number: (events2.at(-2) as Json).sequence_number + 1,
    });
    await expectServing(s);
  });

  it('a /jobs job whose answer broke off runs again once Ollama answers', async () => {
    const s = await start({ retry: { firstMs: 50, maxMs: 200, windowMs: 1500 } });
    // Dies on every attempt: after its window the job fails, naming the break.
    const id = await submit(s, chat('[[sim:die-after=2]]'));
    expect((await terminalWebhooks(id)).filter((t) => t === 'job.working').length).toBeGreaterThanOrEqual(2);
    expect(await getJob(s, id)).toMatchObject({
      state: 'failed',
      result: null,
      error: expect.stringContaining('closed the connection in the middle of its answer'),
    });
    await expectServing(s);
  });
});

/** An upstream that sends the head of a JSON answer and part of its body, then drops the connection. */
async function halfJsonUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 300\r\n\r\n{"model":"llama3.2","created_at":',
      );
      setImmediate(() => socket.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('an answer without streaming that breaks off after its head', () => {
  it('is held until complete, so the client gets 502 {"error"} instead of a cut body', async () => {
    const upstream = await halfJsonUpstream();
    const foreman = await startForeman(testConfig(upstream.url, { upstreamTimeoutMs: TIMEOUT_MS }));
    try {
      const res = await post(foreman.url, '/api/generate', { model: 'llama3.2', prompt: 'x', stream: false });
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({ error: expect.stringContaining('closed the connection in the middle of its answer') });
      const err = await new Ollama({ host: foreman.url }).generate({ model: 'llama3.2', prompt: 'x' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ResponseError', status_code: 502 });
      expect((await fetch(`${foreman.url}/foreman/health`)).status).toBe(200);
    } finally {
      await foreman.close(1000);
      await upstream.close();
    }
  });
});

describe('an unreachable Ollama', () => {
  it("a /jobs job is re-queued with backoff and runs once Ollama is back; Ollama's own 404 still fails at once", async () => {
    const s = await start({ retry: { firstMs: 100, maxMs: 400, windowMs: 60_000 } });
    const unknown = await submit(s, { ...chat('hi'), model: 'no-such-model' });
    expect(await terminalWebhooks(unknown)).toEqual(['job.queued', 'job.working', 'job.failed']);
    expect(await getJob(s, unknown)).toMatchObject({ state: 'failed', attempts: 1, error: "model 'no-such-model' not found" });

    await s.stopOllama();
    // Interactive clients are not queued behind a missing Ollama: 502 in Ollama's shape at once.
    const now = await post(s.url, '/api/chat', chat('hello', { stream: false }));
    expect([now.status, ((await now.json()) as Json).error]).toEqual([
      502,
      expect.stringContaining(`could not reach Ollama at ${s.simUrl}`),
    ]);

    const id = await submit(s, chat('hello'));
    await expect.poll(() => types(id)).toEqual(['job.queued', 'job.working', 'job.queued']);
    expect(hook.forJob(id)[2]?.body.data).toMatchObject({
      state: 'queued',
      attempts: 1,
      error: expect.stringContaining('could not reach Ollama'),
    });
    expect(await getJob(s, id)).toMatchObject({ state: 'queued' });
    // While it waits, it holds no slot: the scheduler has nothing running.
    expect(s.foreman.scheduler.snapshot().runners.every((r) => r.inFlight === 0)).toBe(true);

    await s.startOllama();
    expect(await terminalWebhooks(id)).toEqual(['job.queued', 'job.working', 'job.queued', 'job.working', 'job.succeeded']);
    expect(await getJob(s, id)).toMatchObject({ state: 'succeeded', attempts: 2, error: null, result: { done: true } });
    await expectServing(s);
  });

  it('a /jobs job ends failed with the reason once its retry window is over, with one terminal webhook', async () => {
    const s = await start({ retry: { firstMs: 100, maxMs: 200, windowMs: 1200 } });
    await s.stopOllama();
    const id = await submit(s, chat('hello'));
    // Refused, then only waiting (no state change while Ollama stays away), then failed.
    expect(await terminalWebhooks(id)).toEqual(['job.queued', 'job.working', 'job.queued', 'job.failed']);
    const job = await getJob(s, id);
    expect(job).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: expect.stringMatching(/^could not reach Ollama at .*ECONNREFUSED.* \(gave up after \d+ attempts over 1(\.\d+)?s\)$/),
    });
    await s.startOllama();
    await expectServing(s);
  });

  it('a reset before any answer is retried like a refused connection', async () => {
    const s = await start({ retry: { firstMs: 50, maxMs: 100, windowMs: 800 } });
    const res = await post(s.url, '/api/chat', chat('[[sim:die-after=0]]'));
    expect([res.status, ((await res.json()) as Json).error]).toEqual([
      502,
      `Ollama at ${s.simUrl} closed the connection without answering (other side closed)`,
    ]);
    const id = await submit(s, chat('[[sim:die-after=0]]'));
    const sent = await terminalWebhooks(id);
    expect(sent.filter((t) => t === 'job.working').length).toBeGreaterThanOrEqual(2);
    expect(await getJob(s, id)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('closed the connection without answering'),
    });
    await expectServing(s);
  });
});

describe('retries and crash recovery', () => {
  it('starts that ended in a retry do not count as crashes at the next start', () => {
    const store = openStore({ file: path.join(tempDir(), 'foreman.db') });
    try {
      const jobs = store.asyncJobs((job, type) => JSON.stringify({ type, id: job.id }));
      jobs.submit({
        id: 'j',
        route: '/api/chat',
        api: 'chat',
        model: 'm',
        lane: 'm',
        client: null,
        priority: 0,
        createdAt: 1,
        request: '{}',
        webhookUrl: null,
        metadata: null,
        idempotencyKey: null,
        requestHash: null,
      });
      for (let i = 0; i < 3; i++) {
        expect(jobs.start('j', 2 + i)).toBe(true);
        expect(jobs.requeue('j', { now: 2 + i, status: 502, error: 'refused', notBefore: 3 + i, retryUntil: 100 })).toBe(true);
      }
      expect(jobs.retryOf('j')).toEqual({ retries: 3, notBefore: 5, retryUntil: 100 });
      // Then foreman dies while the fourth attempt works.
      expect(jobs.start('j', 10)).toBe(true);
      expect(jobs.recoverInterrupted(3, 11)).toEqual({ requeued: 1, failed: 0 });
      expect(jobs.queued()).toEqual([{ id: 'j', notBefore: 5 }]);
    } finally {
      store.close();
    }
  });
});
