/**
 * The memory-aware scheduler against Ollama's own order, in one run: each workload goes straight to a
 * fresh simulator (first come, first served, as Ollama schedules), then through foreman in front of
 * another fresh one. Reports makespan, p50 latency and model loads for each.
 *
 * `npx tsx bench/memory-scheduling.ts` (after `npm run build`); BENCH_ONLY=name runs one workload.
 */
import { Pool } from 'undici';
import { stopAll, type Server } from './processes.js';
import { fixed, median, table, verdict } from './report.js';
import { startForeman, startSim, type SimFlags } from './servers.js';

interface Req {
  path: '/api/chat' | '/api/embed';
  body: Record<string, unknown>;
  /** ms after the start. */
  at: number;
}

interface Trial {
  makespanMs: number;
  p50Ms: number;
  loads: number;
  failures: string[];
  /** Load start times (ms since the first send) seen through `/api/ps` changes are not needed: loads come from the simulator. */
}

interface Workload {
  name: string;
  describe: string;
  sim: SimFlags;
  foremanArgs: string[];
  /** Requests sent before timing starts (preloads), through whichever server is measured. */
  warm?: Req[];
  /** After warming foreman: wait until this holds for its `/foreman/queue`. */
  foremanReady?: (queue: { memory: { budget_source: string } }) => boolean;
  requests: Req[];
  check(direct: Trial, foreman: Trial): { line: string; ok: boolean }[];
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

const chatReq = (model: string, i: number, tokens: number, at: number, extra: Record<string, unknown> = {}): Req => ({
  path: '/api/chat',
  at,
  body: { model, messages: [{ role: 'user', content: `request ${i} [[sim:tokens=${tokens}]]` }], stream: false, ...extra },
});

async function simLoads(simUrl: string): Promise<number> {
  return ((await (await fetch(`${simUrl}/__sim/stats`)).json()) as { loads: number }).loads;
}

async function send(pool: Pool, r: Req): Promise<{ status: number; text: string }> {
  const res = await pool.request({
    path: r.path,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(r.body),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

async function trial(url: string, simUrl: string, w: Workload, isForeman: boolean): Promise<Trial> {
  const pool = new Pool(url, { connections: 128 });
  const failures: string[] = [];
  try {
    for (const r of w.warm ?? []) await send(pool, r);
    if (isForeman && w.foremanReady) {
      for (let i = 0; i < 200; i++) {
        const q = (await (await fetch(`${url}/foreman/queue`)).json()) as { memory: { budget_source: string } };
        if (w.foremanReady(q)) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const loadsBefore = await simLoads(simUrl);
    const t0 = performance.now() + 20;
    const latencies: number[] = [];
    let lastAnswer = t0;
    await Promise.all(
      w.requests.map(async (r, i) => {
        await sleepUntil(t0 + r.at);
        const sent = performance.now();
        const { status, text } = await send(pool, r);
        const done = performance.now();
        latencies.push(done - sent);
        lastAnswer = Math.max(lastAnswer, done);
        if (status !== 200) failures.push(`#${i}: HTTP ${status} ${text.slice(0, 120)}`);
      }),
    );
    return { makespanMs: lastAnswer - t0, p50Ms: median(latencies), loads: (await simLoads(simUrl)) - loadsBefore, failures };
  } finally {
    await pool.close();
  }
}

const interleave = (n: number, spacing: number, make: (i: number, at: number) => Req) =>
  Array.from({ length: n }, (_, i) => make(i, i * spacing));

const WORKLOADS: Workload[] = [
  {
    name: 'co-resident',
    describe: 'two 2 GB models that fit together in 8 GB, both loaded, 40 interleaved chats',
    sim: { models: ['alpha=2GB', 'beta=2GB'], loadMs: 500, tokensPerSec: 200, maxLoaded: 3, vramMb: 8000 },
    foremanArgs: [],
    warm: ['alpha', 'beta'].map((model) => ({ path: '/api/chat', at: 0, body: { model, messages: [], stream: false } })),
    foremanReady: (q) => q.memory.budget_source === 'learned',
    requests: interleave(40, 5, (i, at) => chatReq(i % 2 ? 'beta' : 'alpha', i, 20, at)),
    check: (d, f) => [
      {
        line: `makespan foreman/direct ${fixed(f.makespanMs / d.makespanMs)}× (target ≤ 1.1, goal ≤ 1.05)`,
        ok: f.makespanMs / d.makespanMs <= 1.1,
      },
      { line: `p50 foreman/direct ${fixed(f.p50Ms / d.p50Ms)}× (target ≤ 1.1, goal ≤ 1.05)`, ok: f.p50Ms / d.p50Ms <= 1.1 },
    ],
  },
  {
    name: 'memory-bound',
    describe: 'an embedding model that fits beside either of two 5 GB chat models that do not fit together (8 GB), 48 interleaved',
    sim: { models: ['nomic-embed-text=300MB', 'chat-a=5GB', 'chat-b=5GB'], loadMs: 300, tokensPerSec: 200, maxLoaded: 3, vramMb: 8000 },
    foremanArgs: [],
    requests: interleave(48, 5, (i, at) =>
      i % 2 === 0
        ? { path: '/api/embed', at, body: { model: 'nomic-embed-text', input: `text ${i}` } }
        : chatReq(i % 4 === 1 ? 'chat-a' : 'chat-b', i, 10, at),
    ),
    check: (d, f) => [
      { line: `makespan direct/foreman ${fixed(d.makespanMs / f.makespanMs)}× (target ≥ 2)`, ok: d.makespanMs / f.makespanMs >= 2 },
      { line: `loads foreman/direct ${f.loads}/${d.loads} (target ≤ 1/3)`, ok: f.loads * 3 <= d.loads },
    ],
  },
  {
    name: 'num_ctx',
    describe: 'one model, num_ctx 2048 and 8192 interleaved, 24 chats 40 ms apart',
    sim: { models: ['llama3.2'], loadMs: 300, tokensPerSec: 200, maxLoaded: 3 },
    foremanArgs: [],
    requests: interleave(24, 40, (i, at) => chatReq('llama3.2', i, 10, at, { options: { num_ctx: i % 2 ? 8192 : 2048 } })),
    check: (d, f) => [{ line: `foreman loads ${f.loads} (direct ${d.loads}; target ≤ 3)`, ok: f.loads <= 3 }],
  },
  {
    name: 'keep_alive 0',
    describe: 'two models, every request keep_alive 0, interleaved, one loaded at a time, 24 chats 40 ms apart',
    sim: { models: ['llama3.2', 'gemma3:1b'], loadMs: 300, tokensPerSec: 200, maxLoaded: 1 },
    foremanArgs: [],
    requests: interleave(24, 40, (i, at) => chatReq(i % 2 ? 'gemma3:1b' : 'llama3.2', i, 10, at, { keep_alive: 0 })),
    check: (d, f) => [{ line: `foreman loads ${f.loads} for 2 lanes (direct ${d.loads}; target ≤ 1 per lane)`, ok: f.loads <= 2 }],
  },
  {
    name: 'saturated',
    describe: 'two models that do not fit together, 120 chats arriving over 3 s, --max-wait-ms 300',
    sim: { models: ['llama3.2', 'gemma3:1b'], loadMs: 100, tokensPerSec: 200, maxLoaded: 1 },
    foremanArgs: ['--max-wait-ms', '300'],
    requests: interleave(120, 25, (i, at) => chatReq(i % 2 ? 'gemma3:1b' : 'llama3.2', i, 6, at)),
    check: (d, f) => {
      const bound = Math.floor(f.makespanMs / 300) + 1;
      return [
        {
          line: `foreman switches ${f.loads} in ${fixed(f.makespanMs, 0)} ms (direct ${d.loads}; target ≤ one per 300 ms = ${bound})`,
          ok: f.loads <= bound,
        },
      ];
    },
  },
];

async function runWorkload(w: Workload): Promise<boolean> {
  const servers: Server[] = [];
  let direct: Trial;
  let viaForeman: Trial;
  try {
    const sim = await startSim(w.sim);
    servers.push(sim);
    direct = await trial(sim.url, sim.url, w, false);
    await stopAll(servers.splice(0));
    const sim2 = await startSim(w.sim);
    servers.push(sim2);
    const foreman = await startForeman(sim2.url, w.foremanArgs);
    servers.push(foreman);
    viaForeman = await trial(foreman.url, sim2.url, w, true);
  } finally {
    await stopAll(servers);
  }
  console.log(`\n== ${w.name}: ${w.describe} ==`);
  console.log(
    table(
      ['run', 'makespan ms', 'p50 ms', 'loads', 'failed'],
      [
        ['direct (Ollama alone)', fixed(direct.makespanMs, 0), fixed(direct.p50Ms, 0), direct.loads, direct.failures.length],
        ['foreman', fixed(viaForeman.makespanMs, 0), fixed(viaForeman.p50Ms, 0), viaForeman.loads, viaForeman.failures.length],
      ],
    ),
  );
  for (const f of [...direct.failures, ...viaForeman.failures].slice(0, 5)) console.log(`  failed: ${f}`);
  let ok = direct.failures.length === 0 && viaForeman.failures.length === 0;
  for (const c of w.check(direct, viaForeman)) {
    console.log(`${c.line} → ${verdict(c.ok)}`);
    ok &&= c.ok;
  }
  return ok;
}

const only = process.env.BENCH_ONLY;
const extraArgs = process.env.BENCH_FOREMAN_ARGS?.split(' ').filter(Boolean) ?? [];
for (const w of WORKLOADS) w.foremanArgs.push(...extraArgs);
let allOk = true;
for (const w of WORKLOADS) if (!only || w.name === only) allOk = (await runWorkload(w)) && allOk;
if (!allOk) process.exitCode = 1;
