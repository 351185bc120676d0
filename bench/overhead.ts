/**
 * What one hop costs on a small non-streamed /api/chat: direct to the simulator, through foreman,
 * through the plainest Node proxy and through nginx, all measured in one interleaved run so machine
 * drift (CPU frequency, other load) lands on every target alike.
 *
 * `npx tsx bench/overhead.ts` — env BENCH_N (requests per target, default 2000), BENCH_K (requests
 * per target per round, default 20), BENCH_WARMUP (default 300), BENCH_CPU_PROF=DIR (profile foreman).
 */
import os from 'node:os';
import { Pool } from 'undici';
import { stopAll, type Server } from './processes.js';
import { envInt, fixed, percentile, table, verdict } from './report.js';
import { startForeman, startNginx, startPlainProxy, startSim } from './servers.js';

const N = envInt('BENCH_N', 2000);
const K = envInt('BENCH_K', 20);
const WARMUP = envInt('BENCH_WARMUP', 300);

const BODY = JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi [[sim:tokens=1]]' }], stream: false });
const HEADERS = { 'content-type': 'application/json' };

interface Target {
  name: string;
  pool: Pool;
  samples: number[];
}

/** One request, timed from send to the last body byte, as a client waits for it. */
async function timed(pool: Pool): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request({ path: '/api/chat', method: 'POST', headers: HEADERS, body: BODY });
  const text = await res.body.text();
  const ms = performance.now() - t0;
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  return ms;
}

async function checkAnswer(target: Target): Promise<void> {
  const res = await target.pool.request({ path: '/api/chat', method: 'POST', headers: HEADERS, body: BODY });
  const answer = (await res.body.json()) as { done?: boolean; message?: { role?: string } };
  if (res.statusCode !== 200 || answer.done !== true || answer.message?.role !== 'assistant') {
    throw new Error(`${target.name} answered ${res.statusCode} ${JSON.stringify(answer).slice(0, 200)}`);
  }
}

async function main(): Promise<void> {
  const servers: (Server | null)[] = [];
  const targets: Target[] = [];
  try {
    const sim = await startSim({ models: ['llama3.2'], loadMs: 0, tokensPerSec: 0 });
    servers.push(sim);
    const foreman = await startForeman(sim.url);
    const plain = await startPlainProxy(sim.url);
    const nginx = await startNginx(sim.url);
    servers.push(foreman, plain, nginx);
    if (!nginx) console.log('nginx is not installed: skipping it (apt-get install -y nginx)');

    // One keep-alive connection per target and one request at a time: per-request latency, not throughput.
    const add = (name: string, url: string) => targets.push({ name, pool: new Pool(url, { connections: 1, pipelining: 1 }), samples: [] });
    add('direct', sim.url);
    add('foreman', foreman.url);
    add('plain-proxy', plain.url);
    if (nginx) add('nginx', nginx.url);

    for (const t of targets) await checkAnswer(t);
    for (let i = 0; i < WARMUP; i++) for (const t of targets) await timed(t.pool);

    const rounds = Math.ceil(N / K);
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      // The simulator logs every request; clearing it between rounds keeps its own cost from growing.
      await fetch(`${sim.url}/__sim/reset`, { method: 'POST' }).then((res) => res.body?.cancel());
      const count = Math.min(K, N - r * K);
      for (let j = 0; j < targets.length; j++) {
        const t = targets[(r + j) % targets.length]!;
        for (let i = 0; i < count; i++) t.samples.push(await timed(t.pool));
      }
    }
    const seconds = (performance.now() - started) / 1000;

    const p50 = new Map<string, number>();
    const rows = targets.map((t) => {
      const sorted = [...t.samples].sort((a, b) => a - b);
      p50.set(t.name, percentile(sorted, 50));
      return [t.name, sorted.length, fixed(percentile(sorted, 50), 3), fixed(percentile(sorted, 99), 3)];
    });
    const direct = p50.get('direct')!;
    const plainP50 = p50.get('plain-proxy')!;
    rows.forEach((row) => {
      const own = p50.get(String(row[0]))!;
      row.push(fixed(own / direct), fixed(own / plainP50));
    });

    console.log(`\n== overhead: small non-streamed /api/chat (${N} per target, ${K} per round, interleaved, ${fixed(seconds, 1)} s) ==`);
    console.log(`node ${process.version}, ${os.cpus().length} cores, one keep-alive connection per target, sequential requests`);
    console.log(table(['target', 'requests', 'p50 ms', 'p99 ms', 'p50/direct', 'p50/plain-proxy'], rows));
    const ratio = p50.get('foreman')! / plainP50;
    console.log(`\nforeman/plain-proxy p50: ${fixed(ratio)} (target ≤ 1.30, goal ≤ 1.00) → ${verdict(ratio <= 1.3, ratio <= 1.0)}`);
    console.log(`foreman/direct p50:      ${fixed(p50.get('foreman')! / direct)} (added ${fixed((p50.get('foreman')! - direct) * 1000, 0)} µs)`);
    console.log(`plain-proxy/direct p50:  ${fixed(plainP50 / direct)} (added ${fixed((plainP50 - direct) * 1000, 0)} µs)`);
    if (nginx) console.log(`nginx/direct p50:        ${fixed(p50.get('nginx')! / direct)} (added ${fixed((p50.get('nginx')! - direct) * 1000, 0)} µs)`);
  } finally {
    await Promise.all(targets.map((t) => t.pool.close()));
    await stopAll(servers);
  }
}

await main();
