/**
 * The queue's promises, checked end to end: real HTTP clients, foreman, and the simulator holding one
 * model at a time, as a workstation GPU does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../test-support/harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const chat = (model: string, content = 'hi', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model, messages: [{ role: 'user', content }], stream: false, ...extra });

function post(url: string, body: string, signal?: AbortSignal) {
  return fetch(`${url}/api/chat`, { method: 'POST', body, signal });
}

/** Resolves once foreman holds `n` requests in its queue (waiting, not yet sent to Ollama). */
async function queued(s: Stack, n: number) {
  await expect.poll(() => s.foreman.scheduler.waiting, { timeout: 5000 }).toBe(n);
}

describe('drain-by-model through the simulator', () => {
  it('groups interleaved requests by model: one load per model instead of one per request', async () => {
    stack = await startStack({ sim: { maxLoaded: 1, loadMs: 30, tokensPerSecond: 400 } });
    const s = stack;
    // The first request holds the model while the rest arrive in A B A B … order.
    const first = post(s.url, chat('llama3.2', 'first [[sim:tokens=40]]'));
    await expect.poll(() => s.foreman.scheduler.running).toBe(1);
    const rest: Promise<Response>[] = [];
    for (let i = 0; i < 8; i++) rest.push(post(s.url, chat(i % 2 ? 'llama3.2' : 'gemma3:1b')));
    await queued(s, 8);
    const answers = await Promise.all([first, ...rest]);
    expect(answers.map((r) => r.status)).toEqual(Array(9).fill(200));
    const order = s.sim
      .stats()
      .log.filter((l) => l.path === '/api/chat')
      .map((l) => l.model);
    expect(order).toEqual(['llama3.2', ...Array(4).fill('llama3.2'), ...Array(4).fill('gemma3:1b')]);
    expect(s.sim.stats().loads).toBe(2);
  });

  it('serves a starving model at the next job boundary instead of draining forever', async () => {
    stack = await startStack({ sim: { maxLoaded: 1, loadMs: 10, tokensPerSecond: 100 }, foreman: { maxWaitMs: 250 } });
    const s = stack;
    const a = [post(s.url, chat('llama3.2', 'a0 [[sim:tokens=15]]'))];
    await expect.poll(() => s.foreman.scheduler.running).toBe(1);
    const b = post(s.url, chat('gemma3:1b', 'b [[sim:tokens=1]]'));
    for (let i = 1; i < 6; i++) a.push(post(s.url, chat('llama3.2', `a${i} [[sim:tokens=15]]`)));
    await Promise.all([b, ...a]);
    const order = s.sim
      .stats()
      .log.filter((l) => l.path === '/api/chat')
      .map((l) => l.model);
    const bAt = order.indexOf('gemma3:1b');
    // Each llama3.2 answer takes ~150 ms: gemma3 has starved after the second and goes before the last.
    expect(bAt).toBeGreaterThan(0);
    expect(bAt).toBeLessThan(order.length - 1);
  });

  it('drops a request whose client leaves while it waits: Ollama never sees it', async () => {
    stack = await startStack({ sim: { tokensPerSecond: 200 } });
    const s = stack;
    const first = post(s.url, chat('llama3.2', 'long [[sim:tokens=40]]'));
    await expect.poll(() => s.foreman.scheduler.running).toBe(1);
    const leaving = new AbortController();
    const gone = post(s.url, chat('llama3.2', 'never sent'), leaving.signal).catch((e: unknown) => e);
    await queued(s, 1);
    const [job] = s.foreman.store.listJobs({ state: 'queued' });
    leaving.abort();
    await gone;
    await queued(s, 0);
    await expect.poll(() => s.foreman.store.getJob(job!.id)?.state).toBe('canceled');
    await first;
    expect(s.sim.stats().log.map((l) => l.model)).toHaveLength(1);
    expect(s.foreman.store.getJob(job!.id)!.error).toContain('while queued');
  });

  it('aborts the Ollama request when a streaming client leaves mid-answer', async () => {
    stack = await startStack({ sim: { tokensPerSecond: 50 } });
    const s = stack;
    const leaving = new AbortController();
    const res = await fetch(`${s.url}/api/generate`, {
      method: 'POST',
      body: '{"model":"llama3.2","prompt":"tell me a long story [[sim:tokens=500]]"}',
      signal: leaving.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    leaving.abort();
    await expect.poll(() => s.sim.stats().aborted).toBe(1);
    await expect.poll(() => s.foreman.store.listJobs({ state: 'canceled' }).length).toBe(1);
    expect(s.foreman.scheduler.running).toBe(0);
    // The slot is free again: the next request runs at once.
    const next = await post(s.url, chat('llama3.2'));
    expect(next.status).toBe(200);
  });

  it("answers Ollama's own 503 once more than --max-queue requests wait", async () => {
    stack = await startStack({ sim: { tokensPerSecond: 200 }, foreman: { maxQueue: 2 } });
    const s = stack;
    const held = [post(s.url, chat('llama3.2', 'x [[sim:tokens=30]]'))];
    await expect.poll(() => s.foreman.scheduler.running).toBe(1);
    held.push(post(s.url, chat('llama3.2')), post(s.url, chat('gemma3:1b')));
    await queued(s, 2);
    const native = await post(s.url, chat('llama3.2'));
    expect(native.status).toBe(503);
    expect(native.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await native.text()).toBe('{"error":"server busy, please try again.  maximum pending requests exceeded"}');
    const v1 = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: chat('llama3.2') });
    expect(v1.status).toBe(503);
    expect(await v1.json()).toEqual({
      error: { message: 'server busy, please try again.  maximum pending requests exceeded', type: 'api_error', param: null, code: null },
    });
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('keeps up to --concurrency requests in flight, all for the same model', async () => {
    stack = await startStack({ sim: { parallel: 2, tokensPerSecond: 200 }, foreman: { concurrency: 2 } });
    const s = stack;
    const all = [
      post(s.url, chat('llama3.2', '[[sim:tokens=20]]')),
      post(s.url, chat('llama3.2', '[[sim:tokens=20]]')),
      post(s.url, chat('gemma3:1b')),
    ];
    await expect.poll(() => s.foreman.scheduler.running).toBe(2);
    expect(s.foreman.scheduler.waiting).toBe(1);
    expect(s.sim.stats().inFlight).toBe(2);
    await Promise.all(all);
  });

  it('answers 502 naming the upstream when Ollama is not there', async () => {
    stack = await startStack();
    const s = stack;
    await s.sim.close();
    const res = await post(s.url, chat('llama3.2'));
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: string };
    expect(body.error).toContain(`could not reach Ollama at ${s.simUrl}`);
    const tags = await fetch(`${s.url}/api/tags`);
    expect(tags.status).toBe(502);
    expect(((await tags.json()) as { error: string }).error).toContain(s.simUrl);
    await expect.poll(() => s.foreman.store.listJobs({ state: 'failed' }).length).toBe(1);
  });
});

describe('history', () => {
  it('keeps finished requests across a restart on the same data dir', async () => {
    stack = await startStack();
    const first = stack;
    const res = await post(first.url, chat('llama3.2', 'keep me'));
    expect(res.status).toBe(200);
    await expect.poll(() => first.foreman.store.listJobs({ state: 'succeeded' }).length).toBe(1);
    const [job] = first.foreman.store.listJobs();
    await first.close();
    stack = await startStack({ dataDir: first.dataDir });
    expect(stack.foreman.store.getJob(job!.id)).toMatchObject({ state: 'succeeded', model: 'llama3.2' });
  });
});
