/**
 * The async /jobs surface end to end: real HTTP, foreman on a real SQLite file, the simulator upstream,
 * and a real webhook receiver.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startStack, type Stack } from '../test-support/harness.js';
import { startReceiver, type Receiver } from '../test-support/webhook-receiver.js';

let stack: Stack;
let hook: Receiver;
beforeEach(async () => {
  hook = await startReceiver();
});
afterEach(async () => {
  await stack?.close();
  await hook.close();
});

type Json = Record<string, any>;

async function submit(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${stack.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
}

async function getJob(id: string): Promise<Json> {
  return (await (await fetch(`${stack.url}/jobs/${id}`)).json()) as Json;
}

const chat = (content: string, model = 'llama3.2') => ({ model, messages: [{ role: 'user', content }] });

/** Drops what differs between two runs of one request: times, durations, generated tool-call ids. */
function stable(answer: Json): Json {
  const { created_at: _c, total_duration: _t, load_duration: _l, prompt_eval_duration: _p, eval_duration: _e, ...rest } = answer;
  return JSON.parse(JSON.stringify(rest).replace(/"call_[a-z0-9]{8}"/g, '"call_id"')) as Json;
}

async function direct(path: string, body: unknown): Promise<Json> {
  const res = await fetch(`${stack.simUrl}${path}`, { method: 'POST', body: JSON.stringify({ ...(body as Json), stream: false }) });
  return (await res.json()) as Json;
}

describe('POST /jobs', () => {
  it('runs a job through queued → working → succeeded with one signed webhook per transition', async () => {
    stack = await startStack();
    const { status, json, headers } = await submit({
      api: 'chat',
      request: chat('hello'),
      webhook: { url: hook.url },
      metadata: { batch: 7 },
    });
    expect(status).toBe(202);
    expect(headers.get('location')).toBe(`/jobs/${json.id}`);
    expect(json).toMatchObject({ state: 'queued', api: 'chat', model: 'llama3.2', metadata: { batch: 7 }, webhook: { url: hook.url } });
    await expect.poll(() => hook.forJob(json.id).length).toBe(3);
    const events = hook.forJob(json.id);
    expect(events.map((e) => e.body.type)).toEqual(['job.queued', 'job.working', 'job.succeeded']);
    expect(events.map((e) => e.body.data.state)).toEqual(['queued', 'working', 'succeeded']);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    const wh = new Webhook(stack.foreman.webhookSecret);
    for (const e of events) expect(() => wh.verify(e.raw, e.headers as Record<string, string>)).not.toThrow();
    const done = await getJob(json.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, error: null });
    expect(events[2]!.body.data).toEqual(done);
  });

  it.each([
    ['chat', '/api/chat', chat('why is the sky blue')],
    ['chat', '/api/chat', chat('think first', 'qwen3:0.6b')],
    [
      'chat',
      '/api/chat',
      {
        ...chat('what is the weather in Paris'),
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'w',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
        ],
      },
    ],
    ['generate', '/api/generate', { model: 'llama3.2', prompt: 'tell me something' }],
    ['generate', '/api/generate', { model: 'qwen3:0.6b', prompt: 'think about it' }],
    ['embed', '/api/embed', { model: 'nomic-embed-text', input: ['a', 'b'] }],
  ])('gives as result exactly what Ollama answers with stream:false (%s %#)', async (api, path, request) => {
    stack = await startStack();
    const { json } = await submit({ api, request });
    await expect.poll(async () => (await getJob(json.id)).state).toBe('succeeded');
    const expected = await direct(path, request);
    expect(stable((await getJob(json.id)).result)).toEqual(stable(expected));
  });

  it("ends a job for an unknown model failed, with Ollama's message", async () => {
    stack = await startStack();
    const { json } = await submit({ api: 'chat', request: chat('hi', 'no-such-model'), webhook: { url: hook.url } });
    await expect.poll(() => hook.forJob(json.id).map((e) => e.body.type)).toContain('job.failed');
    expect(await getJob(json.id)).toMatchObject({ state: 'failed', error: "model 'no-such-model' not found", result: null });
  });

  it.each([
    ['no model', { api: 'chat', request: { messages: [] } }, /model/],
    ['empty model', { api: 'chat', request: { model: '' } }, /model/],
    ['unknown api', { api: 'dance', request: chat('x') }, /api/],
    ['no request', { api: 'chat' }, /request/],
    ['ftp webhook', { api: 'chat', request: chat('x'), webhook: { url: 'ftp://example.com/hook' } }, /http or https/],
    ['userinfo webhook', { api: 'chat', request: chat('x'), webhook: { url: 'http://user:pw@127.0.0.1/hook' } }, /user name or password/],
    ['metadata address', { api: 'chat', request: chat('x'), webhook: { url: 'http://169.254.169.254/latest' } }, /forbidden address/],
    ['not a url', { api: 'chat', request: chat('x'), webhook: { url: 'nope' } }, /not a valid URL/],
    ['bad priority', { api: 'chat', request: chat('x'), priority: 'high' }, /priority/],
    ['malformed JSON', '{"api": "chat", ', /JSON/],
  ])('refuses %s with 400 and creates nothing', async (_name, body, message) => {
    stack = await startStack();
    const { status, json } = await submit(body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
    expect(stack.foreman.store.listJobs()).toHaveLength(0);
  });

  it('accepts a burst of concurrent submits, each committed before its 202, one job per idempotency key', async () => {
    stack = await startStack();
    stack.foreman.scheduler.pause();
    const body = (i: number) => ({ api: 'generate', request: { model: 'llama3.2', prompt: `burst ${i}` } });
    const answers = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => submit(body(i))),
      ...Array.from({ length: 5 }, () => submit(body(99), { 'idempotency-key': 'same' })),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(45).fill(202));
    expect(new Set(answers.slice(0, 40).map((a) => a.json.id)).size).toBe(40);
    expect(new Set(answers.slice(40).map((a) => a.json.id)).size).toBe(1);
    expect(stack.foreman.store.listJobs({ source: 'jobs', limit: 100 })).toHaveLength(41);
  });

  it('returns the same job for the same Idempotency-Key, and 422 for a different request', async () => {
    stack = await startStack();
    const body = { api: 'generate', request: { model: 'llama3.2', prompt: 'once' } };
    const a = await submit(body, { 'idempotency-key': 'k-1' });
    const b = await submit(body, { 'idempotency-key': 'k-1' });
    expect(b.status).toBe(202);
    expect(b.json.id).toBe(a.json.id);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await submit({ ...body, request: { model: 'llama3.2', prompt: 'twice' } }, { 'idempotency-key': 'k-1' });
    expect(c.status).toBe(422);
    await expect.poll(async () => (await getJob(a.json.id)).state).toBe('succeeded');
    expect(stack.sim.stats().log.filter((l) => l.path === '/api/generate')).toHaveLength(1);
  });
});

describe('DELETE /jobs/<id>', () => {
  it('cancels a queued job at once: Ollama never sees it, the webhook says job.canceled', async () => {
    stack = await startStack();
    stack.foreman.scheduler.pause();
    const { json } = await submit({ api: 'chat', request: chat('never'), webhook: { url: hook.url } });
    const res = await fetch(`${stack.url}/jobs/${json.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).state).toBe('canceled');
    stack.foreman.scheduler.resume();
    await expect.poll(() => hook.forJob(json.id).map((e) => e.body.type)).toEqual(['job.queued', 'job.canceled']);
    expect(stack.sim.stats().requests).toBe(0);
    // Canceled is ended: a second cancel is 409 like any ended job (README).
    const again = await fetch(`${stack.url}/jobs/${json.id}`, { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: `job ${json.id} already canceled` });
  });

  it('aborts the Ollama request of a working job and sends exactly one terminal webhook', async () => {
    stack = await startStack({ sim: { tokensPerSecond: 50 } });
    const { json } = await submit({
      api: 'generate',
      request: { model: 'llama3.2', prompt: 'a long one [[sim:tokens=500]]' },
      webhook: { url: hook.url },
    });
    await expect.poll(async () => (await getJob(json.id)).state).toBe('working');
    await expect.poll(() => stack.sim.stats().inFlight).toBe(1);
    const res = await fetch(`${stack.url}/jobs/${json.id}`, { method: 'DELETE' });
    expect(((await res.json()) as Json).state).toBe('canceled');
    await expect.poll(() => stack.sim.stats().aborted).toBe(1);
    await expect.poll(() => hook.forJob(json.id).map((e) => e.body.type)).toEqual(['job.queued', 'job.working', 'job.canceled']);
    expect(stack.foreman.scheduler.running).toBe(0);
  });

  it('answers 409 for a finished job and 404 for an unknown one', async () => {
    stack = await startStack();
    const { json } = await submit({ api: 'generate', request: { model: 'llama3.2', prompt: 'x' } });
    await expect.poll(async () => (await getJob(json.id)).state).toBe('succeeded');
    expect((await fetch(`${stack.url}/jobs/${json.id}`, { method: 'DELETE' })).status).toBe(409);
    expect((await fetch(`${stack.url}/jobs/job_nope`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${stack.url}/jobs/job_nope`)).status).toBe(404);
  });
});

describe('ordering and listing', () => {
  it('runs interactive passthrough before background jobs, then jobs by priority, then by age', async () => {
    stack = await startStack();
    stack.foreman.scheduler.pause();
    const low = await submit({ api: 'generate', request: { model: 'llama3.2', prompt: 'low' } });
    const high = await submit({ api: 'generate', request: { model: 'llama3.2', prompt: 'high' }, priority: 5 });
    const low2 = await submit({ api: 'generate', request: { model: 'llama3.2', prompt: 'low2' } });
    const interactive = fetch(`${stack.url}/api/generate`, {
      method: 'POST',
      body: '{"model":"llama3.2","prompt":"interactive","stream":false}',
    });
    await expect.poll(() => stack.foreman.scheduler.waiting).toBe(4);
    stack.foreman.scheduler.resume();
    await interactive;
    for (const j of [low, high, low2]) await expect.poll(async () => (await getJob(j.json.id)).state).toBe('succeeded');
    expect(stack.sim.stats().log).toHaveLength(4);
    const started = (id: string) => stack.foreman.store.getJob(id)!.started_at!;
    const passthrough = stack.foreman.store.listJobs().find((j) => j.source === 'passthrough')!;
    const order = [passthrough.id, high.json.id, low.json.id, low2.json.id].map(started);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('lists jobs newest first with state and model filters and a cursor', async () => {
    stack = await startStack();
    stack.foreman.scheduler.pause();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await submit({ api: 'generate', request: { model: i % 2 ? 'gemma3:1b' : 'llama3.2', prompt: `${i}` } })).json.id);
    const page1 = (await (await fetch(`${stack.url}/jobs?limit=2`)).json()) as Json;
    expect(page1.jobs.map((j: Json) => j.id)).toEqual([ids[4], ids[3]]);
    const page2 = (await (await fetch(`${stack.url}/jobs?limit=2&cursor=${page1.next_cursor}`)).json()) as Json;
    expect(page2.jobs.map((j: Json) => j.id)).toEqual([ids[2], ids[1]]);
    const gemma = (await (await fetch(`${stack.url}/jobs?model=gemma3:1b&state=queued`)).json()) as Json;
    expect(gemma.jobs.map((j: Json) => j.id)).toEqual([ids[3], ids[1]]);
    expect(gemma.next_cursor).toBeNull();
    expect((await fetch(`${stack.url}/jobs?state=bogus`)).status).toBe(400);
  });

  it('serves its OpenAPI document', async () => {
    stack = await startStack();
    const doc = (await (await fetch(`${stack.url}/jobs/openapi.json`)).json()) as Json;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/jobs', '/jobs/{id}']);
  });
});

describe('cancel racing completion', () => {
  it('ends every job in exactly one terminal state with exactly one terminal webhook', async () => {
    stack = await startStack({ sim: { tokensPerSecond: 400, loadMs: 1 } });
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ids: string[] = [];
    const cancels: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const { json } = await submit({
        api: 'generate',
        request: { model: 'llama3.2', prompt: `r${i} [[sim:tokens=3]]` },
        webhook: { url: hook.url },
      });
      ids.push(json.id);
      const delay = Math.floor(rnd() * 40);
      cancels.push(new Promise((r) => setTimeout(r, delay)).then(() => fetch(`${stack.url}/jobs/${json.id}`, { method: 'DELETE' })));
    }
    await Promise.all(cancels);
    const terminal = (id: string) => hook.forJob(id).filter((r) => ['job.succeeded', 'job.failed', 'job.canceled'].includes(r.body.type));
    for (const id of ids) await expect.poll(() => terminal(id).length).toBe(1);
    for (const id of ids) {
      const job = await getJob(id);
      expect(terminal(id)[0]!.body.type).toBe(`job.${job.state}`);
    }
    // Give late duplicates a chance to show up: wait until the outbox is empty, then count again.
    await expect.poll(() => stack.foreman.store.deliveries.list({ state: 'pending' }).length).toBe(0);
    for (const id of ids) expect(terminal(id)).toHaveLength(1);
  });
});

describe('large results', () => {
  it('sends a result_url instead of a result over the size cap, and the URL gives the whole result', async () => {
    stack = await startStack({ foreman: { webhookMaxResultBytes: 200 } });
    const { json } = await submit({
      api: 'generate',
      request: { model: 'llama3.2', prompt: 'a long answer [[sim:tokens=80]]' },
      webhook: { url: hook.url },
    });
    await expect.poll(() => hook.forJob(json.id).map((e) => e.body.type)).toContain('job.succeeded');
    const done = hook.forJob(json.id).find((e) => e.body.type === 'job.succeeded')!.body.data;
    expect(done).toMatchObject({ state: 'succeeded', result: null, truncated: true, result_url: `${stack.url}/jobs/${json.id}` });
    const full = (await (await fetch(done.result_url as string)).json()) as Json;
    expect(JSON.stringify(full.result).length).toBeGreaterThan(200);
    expect(full.result.done).toBe(true);
    // Small events of the same job still carry everything.
    expect(hook.forJob(json.id).find((e) => e.body.type === 'job.queued')!.body.data).not.toHaveProperty('truncated');
  });
});
