/**
 * The simulator's scheduler seen from outside: loads and swaps, /api/ps, keep-alive, parallel
 * slots, the pending-load limit and client disconnects. Asserts on state and event order.
 */
import { describe, expect, it } from 'vitest';
import { BUSY_MESSAGE } from '../ollama/wire.js';
import { createSimulator, type Simulator, type SimulatorOptions } from './simulator.js';

async function withSim(options: SimulatorOptions, body: (sim: Simulator, url: string) => Promise<void>): Promise<void> {
  const sim = createSimulator({ loadMs: 5, tokensPerSecond: 0, defaultTokens: 3, ...options });
  const url = await sim.listen();
  try {
    await body(sim, url);
  } finally {
    await sim.close();
  }
}

function chat(url: string, model: string, extra: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
    signal,
  });
}

async function psNames(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/api/ps`)).json()) as { models: Array<{ name: string }> };
  return body.models.map((m) => m.name);
}

/** Reads a stream until its first NDJSON line: proof the request holds a slot and is generating. */
async function firstLine(res: Response): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let seen = '';
  while (!seen.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += Buffer.from(value).toString();
  }
  return reader;
}

describe('model loads and swaps', () => {
  it('loads each model it swaps to when only one may be resident', async () => {
    await withSim({ maxLoaded: 1 }, async (sim, url) => {
      for (const model of ['llama3.2', 'gemma3:1b', 'llama3.2', 'llama3.2']) await (await chat(url, model, { stream: false })).json();
      expect(sim.stats().loads).toBe(3);
      expect(sim.stats().loadsByModel).toEqual({ 'llama3.2:latest': 2, 'gemma3:1b': 1 });
      expect(await psNames(url)).toEqual(['llama3.2:latest']);
    });
  });

  it('keeps two models resident with maxLoaded 2 and reports them in /api/ps', async () => {
    await withSim({ maxLoaded: 2 }, async (sim, url) => {
      await (await chat(url, 'llama3.2', { stream: false })).json();
      await (await chat(url, 'gemma3:1b', { stream: false, keep_alive: '10m' })).json();
      await (await chat(url, 'llama3.2', { stream: false })).json();
      expect(sim.stats().loads).toBe(2);
      const ps = (await (await fetch(`${url}/api/ps`)).json()) as { models: Array<Record<string, unknown>> };
      expect(ps.models.map((m) => m.name)).toEqual(['gemma3:1b', 'llama3.2:latest']); // later expiry first
      expect(ps.models[0]).toMatchObject({ model: 'gemma3:1b', context_length: 4096, details: { family: 'gemma3' } });
      expect(ps.models[0]?.expires_at).toMatch(/^\d{4}-.*[+-]\d\d:\d\d$/);
    });
  });

  it('lets a busy model finish before swapping it out', async () => {
    await withSim({ maxLoaded: 1, tokensPerSecond: 200, defaultTokens: 10 }, async (sim, url) => {
      const a = await chat(url, 'llama3.2');
      const reader = await firstLine(a);
      const b = chat(url, 'gemma3:1b', { stream: false });
      while (await reader.read().then((r) => !r.done));
      await (await b).json();
      const [la, lb] = sim.stats().log;
      expect([la?.outcome, lb?.outcome]).toEqual(['ok', 'ok']);
      expect(lb?.startedAt).toBeGreaterThanOrEqual(la?.endedAt ?? Infinity);
      expect(sim.stats().loads).toBe(2);
    });
  });

  it('writes nothing until the model is loaded', async () => {
    await withSim({ loadMs: 60 }, async (sim, url) => {
      const res = await chat(url, 'llama3.2');
      expect(sim.stats().loads).toBe(1); // headers only arrive with the first chunk, after the load
      await res.text();
    });
  });

  it('re-loads when num_ctx changes', async () => {
    await withSim({}, async (sim, url) => {
      await (await chat(url, 'llama3.2', { stream: false })).json();
      await (await chat(url, 'llama3.2', { stream: false, options: { num_ctx: 8192 } })).json();
      const ps = (await (await fetch(`${url}/api/ps`)).json()) as { models: Array<{ context_length: number }> };
      expect([sim.stats().loads, ps.models[0]?.context_length]).toEqual([2, 8192]);
    });
  });
});

describe('keep-alive', () => {
  it('unloads after keep_alive expires, and at once with keep_alive 0', async () => {
    await withSim({}, async (_sim, url) => {
      await (await chat(url, 'llama3.2', { stream: false, keep_alive: 0 })).json();
      expect(await psNames(url)).toEqual([]);
      await (await chat(url, 'llama3.2', { stream: false, keep_alive: '30ms' })).json();
      expect(await psNames(url)).toEqual(['llama3.2:latest']);
      await expect.poll(() => psNames(url), { timeout: 2000, interval: 10 }).toEqual([]);
    });
  });
});

describe('parallel slots and disconnects', () => {
  it('runs `parallel` requests at once, queues the rest FIFO, and frees a slot on disconnect', async () => {
    await withSim({ parallel: 2, tokensPerSecond: 100, defaultTokens: 200 }, async (sim, url) => {
      await (await chat(url, 'llama3.2', { stream: false, options: { num_predict: 1 } })).json();
      sim.resetStats();
      const abortA = new AbortController();
      const a = await firstLine(await chat(url, 'llama3.2', {}, abortA.signal));
      const b = await firstLine(await chat(url, 'llama3.2'));
      const cPromise = chat(url, 'llama3.2', { options: { num_predict: 2 } });
      await expect.poll(() => sim.stats().requests).toBe(3);
      expect(sim.stats().log.map((l) => l.startedAt !== undefined)).toEqual([true, true, false]);
      abortA.abort();
      await a.cancel().catch(() => {});
      const c = await cPromise;
      expect(await c.text()).toContain('"done":true');
      await expect.poll(() => sim.stats().aborted).toBe(1);
      await b.cancel();
      await expect.poll(() => sim.stats().inFlight).toBe(0);
      expect(sim.stats().log.map((l) => l.outcome)).toEqual(['aborted', 'aborted', 'ok']);
    });
  });

  it('aborts a load when its only requester leaves, and the next request pays it again', async () => {
    await withSim({ loadMs: 80 }, async (sim, url) => {
      const ac = new AbortController();
      const pending = chat(url, 'llama3.2', { stream: false }, ac.signal).catch((e: unknown) => e);
      await expect.poll(() => psNames(url), { interval: 5 }).toEqual(['llama3.2:latest']);
      ac.abort();
      await pending;
      await expect.poll(() => sim.stats().aborted).toBe(1);
      expect(await psNames(url)).toEqual([]);
      await (await chat(url, 'llama3.2', { stream: false })).json();
      expect(sim.stats().loads).toBe(1);
    });
  });
});

describe('pending-load queue', () => {
  it('answers 503 with the busy text when the pending queue is full', async () => {
    await withSim({ maxQueue: 0, loadMs: 80 }, async (sim, url) => {
      const first = chat(url, 'llama3.2', { stream: false });
      await expect.poll(() => psNames(url), { interval: 5 }).toEqual(['llama3.2:latest']);
      const busy = await chat(url, 'gemma3:1b');
      expect([busy.status, busy.headers.get('content-type'), await busy.text()]).toEqual([
        503, 'application/json; charset=utf-8', JSON.stringify({ error: BUSY_MESSAGE }),
      ]);
      const v1 = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST', body: JSON.stringify({ model: 'gemma3:1b', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect([v1.status, v1.headers.get('content-type')]).toEqual([503, 'application/json']);
      expect(await v1.json()).toEqual({ error: { message: BUSY_MESSAGE, type: 'api_error', param: null, code: null } });
      expect((await first).status).toBe(200);
      expect(sim.stats().log.map((l) => l.outcome)).toEqual(['ok', 'error', 'error']);
    });
  });

  it('never limits requests waiting for a slot on a loaded model', async () => {
    await withSim({ maxQueue: 0 }, async (_sim, url) => {
      await (await chat(url, 'llama3.2', { stream: false })).json();
      const all = await Promise.all(Array.from({ length: 5 }, () => chat(url, 'llama3.2', { stream: false })));
      expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      await Promise.all(all.map((r) => r.text()));
    });
  });

  it('serves stats over HTTP for out-of-process use', async () => {
    await withSim({}, async (_sim, url) => {
      await (await chat(url, 'llama3.2', { stream: false })).json();
      const stats = (await (await fetch(`${url}/__sim/stats`)).json()) as { requests: number; loads: number };
      expect([stats.requests, stats.loads]).toEqual([1, 1]);
      expect((await fetch(`${url}/__sim/reset`, { method: 'POST' })).status).toBe(204);
      expect(((await (await fetch(`${url}/__sim/stats`)).json()) as { requests: number }).requests).toBe(0);
    });
  });
});
