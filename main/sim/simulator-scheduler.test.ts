/**
 * The simulator's scheduler seen from outside: loads and swaps, GPU memory and evictions, runner
 * options, /api/ps, keep-alive, parallel slots, the pending-load limit and client disconnects.
 * Asserts on state and event order.
 */
import { describe, expect, it } from 'vitest';
import { BUSY_MESSAGE } from '../ollama/wire.js';
import { createSimulator, simFootprint, type SimModelSpec, type Simulator, type SimulatorOptions } from './simulator.js';

async function withSim(options: SimulatorOptions, body: (sim: Simulator, url: string) => Promise<void>): Promise<void> {
  const sim = createSimulator({ loadMs: 5, tokensPerSecond: 0, defaultTokens: 3, ...options });
  const url = await sim.listen();
  try {
    await body(sim, url);
  } finally {
    await sim.close();
  }
}

function post(url: string, path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), signal });
}

function chat(url: string, model: string, extra: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Response> {
  return post(url, '/api/chat', { model, messages: [{ role: 'user', content: 'hi' }], ...extra }, signal);
}

interface PsModel {
  name: string;
  size: number;
  size_vram: number;
  context_length: number;
  expires_at: string;
}

async function ps(url: string): Promise<PsModel[]> {
  return ((await (await fetch(`${url}/api/ps`)).json()) as { models: PsModel[] }).models;
}

async function psNames(url: string): Promise<string[]> {
  return (await ps(url)).map((m) => m.name);
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

/** Starts a stream on `model` that stalls after its first chunk: the runner stays busy until `end()`. */
async function holdBusy(url: string, model: string, extra: Record<string, unknown> = {}): Promise<{ end(): Promise<void> }> {
  const stop = new AbortController();
  const content = '[[sim:hang-after=1]]';
  const reader = await firstLine(await chat(url, model, { ...extra, messages: [{ role: 'user', content }] }, stop.signal));
  return {
    async end() {
      stop.abort();
      await reader.cancel().catch(() => {});
    },
  };
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
    await withSim({ maxQueue: 0 }, async (sim, url) => {
      const resident = await holdBusy(url, 'llama3.2');
      // With one model resident, this load waits for the busy one to finish: the loop is taken.
      const first = chat(url, 'mistral', { stream: false });
      await expect.poll(() => sim.stats().pendingLoads, { interval: 5 }).toBe(1);
      const busy = await chat(url, 'gemma3:1b');
      expect([busy.status, busy.headers.get('content-type'), await busy.text()]).toEqual([
        503,
        'application/json; charset=utf-8',
        JSON.stringify({ error: BUSY_MESSAGE }),
      ]);
      const v1 = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'gemma3:1b', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect([v1.status, v1.headers.get('content-type')]).toEqual([503, 'application/json']);
      expect(await v1.json()).toEqual({ error: { message: BUSY_MESSAGE, type: 'api_error', param: null, code: null } });
      await resident.end();
      expect((await first).status).toBe(200);
      expect(sim.stats().log.map((l) => l.outcome)).toEqual(['aborted', 'ok', 'error', 'error']);
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

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** Three 1 GiB chat models (1280 MiB each with the default 4096-token context), an embedder and one too big for any GPU here. */
const MODELS: SimModelSpec[] = [
  { name: 'alpha', sizeBytes: GiB },
  { name: 'beta', sizeBytes: GiB },
  { name: 'gamma', sizeBytes: GiB },
  { name: 'embedder', kind: 'embedding', sizeBytes: GiB / 4 },
  { name: 'huge', sizeBytes: 8 * GiB },
];
const spec = (name: string) => MODELS.find((m) => m.name === name) as SimModelSpec;
/** Room for two of the chat models, not three. */
const TWO_FIT = { models: MODELS, maxLoaded: 3, vramMb: 3000 };

async function done(res: Promise<Response>): Promise<Record<string, unknown>> {
  const r = await res;
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

/** A non-stream /api/chat that must succeed. */
const ask = (url: string, model: string, extra: Record<string, unknown> = {}) => done(chat(url, model, { stream: false, ...extra }));

describe('GPU memory', () => {
  it('footprint is the weights plus num_ctx × slots × kvBytesPerToken; embedding models have one slot', () => {
    expect(simFootprint(spec('alpha'))).toBe(GiB + 4096 * 65536);
    expect(simFootprint(spec('alpha'), { numCtx: 2048 }, 4)).toBe(GiB + 2048 * 4 * 65536);
    expect(simFootprint(spec('embedder'), { numCtx: 1024 }, 4)).toBe(GiB / 4 + 1024 * 16384);
    expect(simFootprint(spec('embedder'), { numCtx: 8192 })).toBe(GiB / 4 + 2048 * 16384); // capped at its trained context
    expect(simFootprint({ name: 'x', sizeBytes: 100, kvBytesPerToken: 2 }, { numCtx: 10 })).toBe(120);
    expect(simFootprint('llama3.2')).toBe(2019393189 + 4096 * 65536);
  });

  it('loads two models that fit side by side, with no eviction', async () => {
    await withSim(TWO_FIT, async (sim, url) => {
      await ask(url, 'alpha');
      await ask(url, 'beta');
      expect((await psNames(url)).sort()).toEqual(['alpha:latest', 'beta:latest']);
      expect([sim.stats().loads, sim.stats().evictions, sim.stats().unloads]).toEqual([2, 0, 0]);
    });
  });

  it('makes room by evicting the idle runner with the shortest keep_alive, not the least recently used', async () => {
    await withSim(TWO_FIT, async (sim, url) => {
      await ask(url, 'alpha', { keep_alive: '1h' });
      await ask(url, 'beta', { keep_alive: '10m' });
      await ask(url, 'alpha'); // keeps its 1h
      await ask(url, 'beta'); // beta is now the most recently used
      await ask(url, 'gamma');
      expect(await psNames(url)).toEqual(['alpha:latest', 'gamma:latest']);
      expect(sim.stats()).toMatchObject({ loads: 3, evictions: 1, evictionsByModel: { 'beta:latest': 1 }, unloads: 1 });
    });
  });

  it('breaks a keep_alive tie by model path (the blob digest), not by use', async () => {
    await withSim(TWO_FIT, async (sim, url) => {
      await ask(url, 'beta');
      await ask(url, 'alpha');
      await ask(url, 'gamma');
      // sha256-6fc7… (alpha) sorts before sha256-a186… (beta)
      expect(sim.stats().evictionsByModel).toEqual({ 'alpha:latest': 1 });
    });
  });

  it('evicts an idle runner before a busy one, whatever their keep_alive', async () => {
    await withSim(TWO_FIT, async (sim, url) => {
      const busy = await holdBusy(url, 'alpha', { keep_alive: '1m' });
      await ask(url, 'beta', { keep_alive: '1h' });
      await ask(url, 'gamma');
      expect((await psNames(url)).sort()).toEqual(['alpha:latest', 'gamma:latest']);
      expect(sim.stats().evictionsByModel).toEqual({ 'beta:latest': 1 });
      await busy.end();
    });
  });

  it('never evicts a busy runner: it unloads when its request ends, and the new load waits for that', async () => {
    await withSim({ ...TWO_FIT, vramMb: 1500 }, async (sim, url) => {
      const busy = await holdBusy(url, 'alpha');
      const waiting = chat(url, 'beta', { stream: false });
      await expect.poll(() => sim.stats().pendingLoads, { interval: 5 }).toBe(1);
      expect(await psNames(url)).toEqual(['alpha:latest']);
      expect([sim.stats().loads, sim.stats().unloads]).toEqual([1, 0]);
      await busy.end();
      await done(waiting);
      expect(await psNames(url)).toEqual(['beta:latest']);
      const [a, b] = sim.stats().log;
      expect(b?.startedAt).toBeGreaterThanOrEqual(a?.endedAt ?? Infinity);
      expect(sim.stats()).toMatchObject({ loads: 2, evictions: 1, evictionsByModel: { 'alpha:latest': 1 }, pendingLoads: 0 });
    });
  });

  it('loads a model bigger than the GPU alone, partly offloaded (size_vram < size)', async () => {
    await withSim(TWO_FIT, async (sim, url) => {
      await ask(url, 'alpha');
      await ask(url, 'beta');
      await ask(url, 'huge');
      const [huge, ...others] = await ps(url);
      expect(others).toEqual([]);
      expect(huge).toMatchObject({ name: 'huge:latest', size: simFootprint(spec('huge')), size_vram: 3000 * MiB });
      expect(sim.stats().evictions).toBe(2);
      await ask(url, 'alpha'); // nothing fits beside it
      expect(await psNames(url)).toEqual(['alpha:latest']);
    });
  });

  it('still keeps at most maxLoaded runners when memory is free', async () => {
    await withSim({ ...TWO_FIT, maxLoaded: 1, vramMb: 100_000 }, async (sim, url) => {
      await ask(url, 'alpha');
      await ask(url, 'beta');
      expect(await psNames(url)).toEqual(['beta:latest']);
      expect(sim.stats().evictionsByModel).toEqual({ 'alpha:latest': 1 });
    });
  });

  it('reports size, size_vram, context_length and expires_at in /api/ps as they change', async () => {
    await withSim({ ...TWO_FIT, parallel: 2, vramMb: undefined }, async (_sim, url) => {
      await ask(url, 'alpha', { keep_alive: '1h', options: { num_ctx: 2048 } });
      await done(post(url, '/api/embed', { model: 'embedder', input: 'x' }));
      await done(post(url, '/api/generate', { model: 'beta', prompt: 'x', stream: false, keep_alive: 60, options: { num_gpu: 0 } }));
      const byName = Object.fromEntries((await ps(url)).map((m) => [m.name, m]));
      const alpha = simFootprint(spec('alpha'), { numCtx: 2048 }, 2);
      const embedder = simFootprint(spec('embedder'), {}, 2);
      expect(embedder).toBe(GiB / 4 + 2048 * 16384); // one slot whatever `parallel` says, and at most its trained 2048 tokens
      expect(byName['alpha:latest']).toMatchObject({ size: alpha, size_vram: alpha, context_length: 2048 });
      expect(byName['embedder:latest']).toMatchObject({ size: embedder, size_vram: embedder, context_length: 2048 });
      expect(byName['beta:latest']).toMatchObject({ size: simFootprint(spec('beta'), {}, 2), size_vram: 0 }); // num_gpu 0: all on the CPU
      const expiresIn = (m: PsModel | undefined) => Date.parse(m?.expires_at ?? '') - Date.now();
      expect(expiresIn(byName['alpha:latest'])).toBeGreaterThan(3590_000);
      expect(expiresIn(byName['beta:latest'])).toBeLessThan(61_000);
      await ask(url, 'alpha', { keep_alive: '2m', options: { num_ctx: 2048 } });
      expect(expiresIn((await ps(url)).find((m) => m.name === 'alpha:latest'))).toBeLessThan(121_000);
    });
  });
});

describe('runner options', () => {
  const bodies: Record<string, (options: Record<string, unknown>) => Record<string, unknown>> = {
    '/api/chat': (options) => ({ model: 'alpha', messages: [{ role: 'user', content: 'x' }], stream: false, options }),
    '/api/generate': (options) => ({ model: 'alpha', prompt: 'x', stream: false, options }),
    '/api/embed': (options) => ({ model: 'embedder', input: 'x', options }),
    '/api/embeddings': (options) => ({ model: 'embedder', prompt: 'x', options }),
  };

  it.each(Object.keys(bodies))('%s: num_ctx and num_batch reload the model, sampling options do not', async (path) => {
    await withSim({ models: MODELS }, async (sim, url) => {
      const body = bodies[path] as (options: Record<string, unknown>) => Record<string, unknown>;
      const loadsAfter = async (options: Record<string, unknown>) => {
        await done(post(url, path, body(options)));
        return sim.stats().loads;
      };
      expect(await loadsAfter({})).toBe(1);
      expect(await loadsAfter({ temperature: 0.1, top_p: 0.5, seed: 7, num_predict: 2, stop: ['x'] })).toBe(1);
      expect(await loadsAfter({ num_batch: 256 })).toBe(2);
      expect(await loadsAfter({ num_batch: 256, temperature: 1.5 })).toBe(2);
      expect(await loadsAfter({ num_batch: 256, num_ctx: 1024 })).toBe(3);
      expect((await ps(url))[0]?.context_length).toBe(1024);
      expect(sim.stats()).toMatchObject({ unloads: 2, evictions: 2 });
    });
  });

  it('num_gpu, main_gpu, use_mmap and num_thread reload too; a negative num_gpu matches any runner', async () => {
    await withSim({ models: MODELS }, async (sim, url) => {
      const loadsAfter = async (options: Record<string, unknown>) => {
        await ask(url, 'alpha', { options });
        return sim.stats().loads;
      };
      expect(await loadsAfter({})).toBe(1);
      expect(await loadsAfter({ num_gpu: 10 })).toBe(2);
      expect(await loadsAfter({})).toBe(2); // the default num_gpu is -1: "as many layers as fit"
      expect(await loadsAfter({ main_gpu: 1 })).toBe(3);
      expect(await loadsAfter({ main_gpu: 1, use_mmap: false })).toBe(4);
      expect(await loadsAfter({ main_gpu: 1, use_mmap: false, num_thread: 4 })).toBe(5);
      expect(await psNames(url)).toEqual(['alpha:latest']); // one runner per model, ever
    });
  });

  it('/v1 routes carry no runner options, so they use the defaults', async () => {
    await withSim({ models: MODELS }, async (sim, url) => {
      await ask(url, 'alpha', { options: { num_ctx: 8192 } });
      await done(post(url, '/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x' }], temperature: 0.2 }));
      expect([sim.stats().loads, (await ps(url))[0]?.context_length]).toEqual([2, 4096]);
      await done(post(url, '/v1/completions', { model: 'alpha', prompt: 'x', max_tokens: 2, seed: 1 }));
      await done(post(url, '/v1/responses', { model: 'alpha', input: 'x' }));
      expect(sim.stats().loads).toBe(2);
      await done(post(url, '/api/embed', { model: 'embedder', input: 'x', options: { num_ctx: 1024 } }));
      await done(post(url, '/v1/embeddings', { model: 'embedder', input: 'x' }));
      expect(sim.stats().loadsByModel).toEqual({ 'alpha:latest': 2, 'embedder:latest': 2 });
    });
  });

  it('rejects a runner option of the wrong type like Options.FromMap', async () => {
    await withSim({ models: MODELS }, async (_sim, url) => {
      const bad = await chat(url, 'alpha', { stream: false, options: { num_batch: '512' } });
      expect([bad.status, await bad.json()]).toEqual([400, { error: 'option "num_batch" must be of type integer' }]);
      const mmap = await chat(url, 'alpha', { stream: false, options: { use_mmap: 'yes' } });
      expect([mmap.status, await mmap.json()]).toEqual([400, { error: 'option "use_mmap" must be of type boolean' }]);
    });
  });
});

describe('keep_alive with the memory model', () => {
  it('0 unloads the runner as soon as it is idle; a negative value keeps it past the default', async () => {
    await withSim({ models: MODELS, maxLoaded: 3, keepAliveMs: 40 }, async (sim, url) => {
      await ask(url, 'alpha', { keep_alive: 0 });
      expect(await psNames(url)).toEqual([]);
      expect(sim.stats()).toMatchObject({ loads: 1, unloads: 1, evictions: 0 });
      await ask(url, 'alpha', { keep_alive: -1 });
      await ask(url, 'beta');
      const forever = (await ps(url))[0];
      expect([forever?.name, Number(forever?.expires_at.slice(0, 4))]).toEqual(['alpha:latest', expect.any(Number)]);
      expect(Number(forever?.expires_at.slice(0, 4))).toBeGreaterThan(2200);
      await expect.poll(() => psNames(url), { timeout: 2000, interval: 10 }).toEqual(['alpha:latest']);
      expect(sim.stats().unloadsByModel).toEqual({ 'alpha:latest': 1, 'beta:latest': 1 });
    });
  });

  it('takes numbers as seconds and strings as Go durations', async () => {
    await withSim({ models: MODELS }, async (_sim, url) => {
      const expiresIn = async (keep_alive: unknown) => {
        await ask(url, 'alpha', { keep_alive });
        return Date.parse((await ps(url))[0]?.expires_at ?? '') - Date.now();
      };
      expect(await expiresIn(90)).toBeGreaterThan(85_000);
      expect(await expiresIn(90)).toBeLessThan(91_000);
      expect(await expiresIn('1h30m')).toBeGreaterThan(5_390_000);
    });
  });

  it('preloads with the runner options asked for (done_reason load) and unloads with keep_alive 0 (done_reason unload)', async () => {
    await withSim({ models: MODELS }, async (sim, url) => {
      const load = await done(post(url, '/api/chat', { model: 'alpha', messages: [], options: { num_ctx: 2048 } }));
      expect([load.done_reason, (await ps(url))[0]?.context_length]).toEqual(['load', 2048]);
      const again = await done(post(url, '/api/generate', { model: 'alpha', options: { num_ctx: 2048 } }));
      expect([again.done_reason, sim.stats().loads]).toEqual(['load', 1]);
      const unload = await done(post(url, '/api/generate', { model: 'alpha', keep_alive: 0 }));
      expect([unload.done_reason, await psNames(url)]).toEqual(['unload', []]);
      expect(sim.stats()).toMatchObject({ loads: 1, unloads: 1, evictions: 0 });
    });
  });
});
