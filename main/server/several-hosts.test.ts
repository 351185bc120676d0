/**
 * One foreman in front of two simulators, as one Ollama: real clients unchanged, work on both hosts,
 * a host that dies costs nothing accepted, and it shows down and up again in /foreman/health.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { createSimulator, type Simulator } from '../sim/simulator.js';
import { startStack, tempDir, type Stack } from '../test-support/harness.js';
import { startReceiver, type Receiver } from '../test-support/webhook-receiver.js';
import { ROOT } from '../test-support/spawn-cli.js';

let stack: Stack | undefined;
let hook: Receiver | undefined;
let revived: Simulator | undefined;
afterEach(async () => {
  await stack?.close();
  await hook?.close();
  await revived?.close();
  stack = hook = revived = undefined;
});

type Health = { status: string; hosts: { id: string; state: string; reason: string | null }[] };
const health = async (s: Stack) => (await (await fetch(`${s.url}/foreman/health`)).json()) as Health;
const ask = (content: string) => [{ role: 'user' as const, content }];

let goBin: string;
beforeAll(() => {
  goBin = path.join(tempDir('foreman-go-'), 'go-client');
  execFileSync('go', ['build', '-o', goBin, '.'], {
    cwd: path.join(ROOT, 'main/test-support/go-client'),
    env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    stdio: 'pipe',
  });
}, 120_000);

function goClient(base: string, prompt: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(goBin, [base, 'llama3.2', prompt], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout.trim(), err: stderr.trim() });
    });
  });
}

describe('two hosts behind one foreman', () => {
  it('ollama-js, openai-node and a Go client work unchanged: lists, streams and the models of both hosts', async () => {
    stack = await startStack({ hosts: 2, sim: { maxLoaded: 1, tokensPerSecond: 500 } });
    const s = stack;
    const ollama = new Ollama({ host: s.url });
    expect((await ollama.list()).models.map((m) => m.name).sort()).toEqual([
      'gemma3:1b',
      'llama3.2:latest',
      'mistral:latest',
      'nomic-embed-text:latest',
      'qwen3:0.6b',
    ]);
    let streamed = '';
    for await (const part of await ollama.chat({ model: 'llama3.2', messages: ask('hi [[sim:tokens=20]]'), stream: true }))
      streamed += part.message.content;
    expect(streamed.length).toBeGreaterThan(0);
    const other = await ollama.generate({ model: 'gemma3:1b', prompt: 'hello' });
    expect(other.done).toBe(true);
    // Each model is held by one host; ps shows both, each naming its host.
    const ps = (await ollama.ps()).models as unknown as { name: string; foreman_host: string }[];
    expect(ps.map((m) => m.name).sort()).toEqual(['gemma3:1b', 'llama3.2:latest']);
    expect(new Set(ps.map((m) => m.foreman_host)).size).toBe(2);

    const openai = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'ollama' });
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toContain('qwen3:0.6b');
    let text = '';
    for await (const chunk of await openai.chat.completions.create({ model: 'llama3.2', messages: ask('hi'), stream: true }))
      text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);

    const go = await goClient(s.url, 'tell me [[sim:tokens=30]]');
    expect(go.code, go.err).toBe(0);
    expect((JSON.parse(go.out) as { lines: number }).lines).toBeGreaterThan(30);
  });

  it('runs two models at once on two hosts that each hold one, with one load each', async () => {
    stack = await startStack({ hosts: 2, sim: { maxLoaded: 1, tokensPerSecond: 100 } });
    const s = stack;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new Ollama({ host: s.url }).chat({ model: i % 2 ? 'gemma3:1b' : 'llama3.2', messages: ask(`q${i} [[sim:tokens=5]]`) }),
      ),
    );
    expect(answers.every((a) => a.done)).toBe(true);
    expect(s.sims.map((sim) => sim.stats().loads)).toEqual([1, 1]);
    const jobs = ((await (await fetch(`${s.url}/foreman/jobs?limit=10`)).json()) as { jobs: { lane: string; host: string }[] }).jobs;
    const hostOf = (lane: string) => new Set(jobs.filter((j) => j.lane === lane).map((j) => j.host));
    expect(hostOf('llama3.2:latest').size).toBe(1);
    expect(hostOf('gemma3:1b').size).toBe(1);
    expect([...hostOf('llama3.2:latest')][0]).not.toBe([...hostOf('gemma3:1b')][0]);
    // Each lane shows resident, whichever host holds it.
    await Promise.all(s.foreman.monitors.map((m) => m.refresh()));
    const queue = (await (await fetch(`${s.url}/foreman/queue`)).json()) as {
      lanes: { model: string; resident: boolean }[];
      resident: string[];
    };
    expect([...queue.resident].sort()).toEqual(['gemma3:1b', 'llama3.2:latest']);
    expect(queue.lanes.map((l) => [l.model, l.resident]).sort()).toEqual([
      ['gemma3:1b', true],
      ['llama3.2:latest', true],
    ]);
    // Metrics say which host did what.
    const metrics = await (await fetch(`${s.url}/foreman/metrics`)).text();
    for (const host of new Set(jobs.map((j) => j.host))) {
      expect(metrics).toContain(`foreman_jobs_total{source="passthrough",state="succeeded",host="${host}"} 4`);
      expect(metrics).toContain(`foreman_jobs_running{host="${host}"} 0`);
    }
  });

  it('a host that dies costs nothing accepted: queued passthrough and /jobs run on the other, one terminal webhook each', async () => {
    stack = await startStack({ hosts: 2, sim: { maxLoaded: 1, tokensPerSecond: 200 } });
    const s = stack;
    hook = await startReceiver();
    const hookUrl = hook.url;
    s.foreman.scheduler.pause();
    const passthrough = Array.from({ length: 6 }, (_, i) =>
      fetch(`${s.url}/api/chat`, {
        method: 'POST',
        body: JSON.stringify({ model: i % 2 ? 'gemma3:1b' : 'llama3.2', messages: ask(`p${i}`), stream: false }),
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${s.url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          api: 'chat',
          request: { model: i % 2 ? 'gemma3:1b' : 'llama3.2', messages: ask(`j${i}`) },
          webhook: { url: hookUrl },
        }),
      });
      ids.push(((await res.json()) as { id: string }).id);
    }
    await expect.poll(() => s.foreman.scheduler.waiting).toBe(12);
    // The first host dies before anything runs: foreman does not know yet, so some work goes there first.
    await s.sims[0]!.close();
    s.foreman.scheduler.resume();
    const statuses = await Promise.all(passthrough.map(async (p) => (await p).status));
    expect(statuses).toEqual(Array(6).fill(200));
    const job = async (id: string) => (await (await fetch(`${s.url}/jobs/${id}`)).json()) as { state: string; attempts: number };
    await expect
      .poll(async () => (await Promise.all(ids.map(job))).map((j) => j.state), { timeout: 10_000 })
      .toEqual(Array(6).fill('succeeded'));
    for (const id of ids) {
      await expect.poll(() => hook!.forJob(id).filter((e) => e.body.type === 'job.succeeded').length).toBe(1);
      const events = hook.forJob(id);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      expect(events.filter((e) => ['job.succeeded', 'job.failed', 'job.canceled'].includes(e.body.type))).toHaveLength(1);
    }
    expect(s.sims[1]!.stats().completed).toBe(12);
  });

  it('shows a host going down and coming back in /foreman/health within 5 s', async () => {
    stack = await startStack({ hosts: 2, sim: { maxLoaded: 1 } });
    const s = stack;
    const [a, b] = (await health(s)).hosts.map((h) => h.id);
    await expect.poll(async () => (await health(s)).status).toBe('ok');
    const port = Number(new URL(s.simUrls[1]!).port);
    const downAt = Date.now();
    await s.sims[1]!.close();
    await expect.poll(async () => (await health(s)).hosts.find((h) => h.id === b)?.state, { timeout: 5_000 }).toBe('down');
    expect(Date.now() - downAt).toBeLessThan(5_000);
    const h = await health(s);
    expect(h.status).toBe('degraded');
    expect(h.hosts.find((x) => x.id === a)?.state).toBe('up');
    expect(h.hosts.find((x) => x.id === b)?.reason).toBeTruthy();
    // Work goes on while it is down.
    expect((await new Ollama({ host: s.url }).generate({ model: 'llama3.2', prompt: 'still here' })).done).toBe(true);
    revived = createSimulator({ maxLoaded: 1, tokensPerSecond: 0, loadMs: 20 });
    await revived.listen(port, '127.0.0.1');
    const upAt = Date.now();
    await expect.poll(async () => (await health(s)).hosts.find((x) => x.id === b)?.state, { timeout: 5_000 }).toBe('up');
    expect(Date.now() - upAt).toBeLessThan(5_000);
    expect((await health(s)).status).toBe('ok');
  });
});
