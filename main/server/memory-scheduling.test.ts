/**
 * The memory-aware scheduler end to end: real HTTP clients, foreman, and the simulator with Ollama's
 * memory model (GPU memory, footprints, runner options, keep_alive).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueSnapshot } from '../../shared/api.js';
import { startStack, type Stack } from '../test-support/harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const GB = 1e9;

function chat(url: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ stream: false, ...body }) });
}

const ask = (model: string, content: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content }],
  ...extra,
});

async function queue(s: Stack): Promise<QueueSnapshot> {
  return (await (await fetch(`${s.url}/foreman/queue`)).json()) as QueueSnapshot;
}

function chatLog(s: Stack) {
  return s.sim.stats().log.filter((l) => l.path === '/api/chat' && l.startedAt !== undefined);
}

describe('memory-aware scheduling against the simulator', () => {
  it('runs two models side by side once Ollama has shown they fit together, with no reload', async () => {
    stack = await startStack({
      sim: {
        vramMb: 8000,
        maxLoaded: 3,
        loadMs: 30,
        tokensPerSecond: 100,
        models: [
          { name: 'alpha', sizeBytes: 2 * GB },
          { name: 'beta', sizeBytes: 2 * GB },
        ],
      },
    });
    const s = stack;
    // Preload both through foreman, one after the other: Ollama keeps both, and /api/ps says so.
    for (const model of ['alpha', 'beta']) expect((await chat(s.url, { model, messages: [] })).status).toBe(200);
    await expect.poll(async () => (await queue(s)).memory.budget_source).toBe('learned');
    const snap = await queue(s);
    expect(snap.memory.runners.map((r) => r.lane).sort()).toEqual(['alpha:latest', 'beta:latest']);
    expect(snap.memory.budget_bytes).toBe(snap.memory.runners.reduce((n, r) => n + (r.bytes ?? 0), 0));

    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => chat(s.url, ask(i % 2 ? 'beta' : 'alpha', `q${i} [[sim:tokens=8]]`))),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(s.sim.stats().loads).toBe(2);
    // Side by side: some alpha answer was being generated while a beta answer was.
    const log = chatLog(s).filter((l) => l.endedAt !== undefined);
    const overlap = log.some(
      (a) => a.model === 'alpha' && log.some((b) => b.model === 'beta' && a.startedAt! < b.endedAt! && b.startedAt! < a.endedAt!),
    );
    expect(overlap).toBe(true);
  });

  it('gives each num_ctx its own lane, so alternating runner options cost one load per lane', async () => {
    stack = await startStack({ sim: { maxLoaded: 1, loadMs: 20, tokensPerSecond: 0 } });
    const s = stack;
    s.foreman.scheduler.pause();
    const answers = Array.from({ length: 8 }, (_, i) =>
      chat(s.url, ask('llama3.2', `q${i}`, { options: { num_ctx: i % 2 ? 8192 : 2048, temperature: i / 10 } })),
    );
    await expect.poll(() => s.foreman.scheduler.waiting).toBe(8);
    expect((await queue(s)).lanes.map((l) => [l.model, l.queued.length]).sort()).toEqual([
      ['llama3.2:latest · num_ctx 2048', 4],
      ['llama3.2:latest · num_ctx 8192', 4],
    ]);
    s.foreman.scheduler.resume();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(s.sim.stats().loads).toBe(2);
  });

  it('holds a runner through keep_alive 0 requests while its lane has work, and still unloads after the last', async () => {
    stack = await startStack({ sim: { maxLoaded: 1, loadMs: 20, tokensPerSecond: 0 } });
    const s = stack;
    s.foreman.scheduler.pause();
    const answers = Array.from({ length: 8 }, (_, i) => chat(s.url, ask(i % 2 ? 'gemma3:1b' : 'llama3.2', `q${i}`, { keep_alive: 0 })));
    await expect.poll(() => s.foreman.scheduler.waiting).toBe(8);
    s.foreman.scheduler.resume();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(s.sim.stats().loadsByModel).toEqual({ 'llama3.2:latest': 1, 'gemma3:1b': 1 });
    // The client's keep_alive 0 stood on each lane's last job: nothing stays loaded.
    await expect.poll(async () => ((await (await fetch(`${s.simUrl}/api/ps`)).json()) as { models: unknown[] }).models).toEqual([]);
    s.foreman.store.flush();
    const sent = s.foreman.store.db.prepare(`SELECT keep_alive_sent AS k, COUNT(*) AS n FROM jobs GROUP BY k ORDER BY k`).all();
    expect(sent).toEqual([
      { k: null, n: 2 },
      { k: '10s', n: 6 },
    ]);
  });

  it('serves a lone job of another model behind a 30-job backlog within --max-wait-ms, one job and one load', async () => {
    stack = await startStack({ sim: { maxLoaded: 1, loadMs: 20, tokensPerSecond: 200 }, foreman: { maxWaitMs: 300 } });
    const s = stack;
    const backlog = Array.from({ length: 30 }, (_, i) => chat(s.url, ask('llama3.2', `a${i} [[sim:tokens=10]]`)));
    await expect.poll(() => s.foreman.scheduler.waiting + s.foreman.scheduler.running).toBe(30);
    const lone = chat(s.url, ask('gemma3:1b', 'b [[sim:tokens=1]]'));
    expect((await lone).status).toBe(200);
    const log = chatLog(s);
    const b = log.find((l) => l.model === 'gemma3:1b')!;
    // About 50 ms per answer: past 300 ms the next boundary serves it, not the end of the backlog.
    const before = log.filter((l) => l.model === 'llama3.2' && l.startedAt! < b.startedAt!).length;
    expect(before).toBeLessThan(12);
    expect(b.startedAt! - b.receivedAt).toBeLessThan(300 + 50 + 20 + 250);
    await Promise.all(backlog);
  });
});
