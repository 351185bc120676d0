/**
 * What one hop costs on a small non-streamed /api/chat: direct to the simulator, through foreman,
 * through the plainest Node proxy and through nginx, all measured in one interleaved run so machine
 * drift (CPU frequency, other load) lands on every target alike.
 *
 * `npx tsx bench/overhead.ts` — env BENCH_N (requests per target, default 2000), BENCH_K (requests
 * per target per round, default 20), BENCH_WARMUP (default 300), BENCH_CPU_PROF=DIR (profile foreman
 * and the plain proxy; BENCH_CPU_PROF_INTERVAL µs), BENCH_FOREMAN_BIN (the foreman build to measure),
 * BENCH_FOREMAN_BIN_B (a second build, measured as `foreman-b` in the same interleaved rounds: the
 * only fair way to compare two builds on a noisy machine).
 *
 * Besides latency it reports each proxy's CPU time per request (user + system, from /proc on Linux),
 * which the machine's noise moves far less than a p50 does. BENCH_MARKS=DIR times the critical path of
 * every request in foreman and the plain proxy step by step and prints it at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  /** The process serving it, for CPU time (the simulator's for `direct`, shared with every hop). */
  pid: number | null;
  cpuMs: number;
}

/** CPU time (user + system) a process has used so far, in ms; null where /proc is not there. */
function cpuMsOf(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

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
    const binB = process.env.BENCH_FOREMAN_BIN_B;
    const foremanB = binB ? await startForeman(sim.url, [], { bin: binB }) : null;
    const plain = await startPlainProxy(sim.url);
    const nginx = await startNginx(sim.url);
    servers.push(foreman, foremanB, plain, nginx);
    if (!nginx) console.log('nginx is not installed: skipping it (apt-get install -y nginx)');
    if (foremanB) console.log(`foreman:   ${process.env.BENCH_FOREMAN_BIN ?? 'dist/main/cli/foreman.js'}\nforeman-b: ${binB}`);

    // One keep-alive connection per target and one request at a time: per-request latency, not throughput.
    const add = (name: string, url: string, pid: number | null) =>
      targets.push({ name, pool: new Pool(url, { connections: 1, pipelining: 1 }), samples: [], pid, cpuMs: 0 });
    add('direct', sim.url, null);
    add('foreman', foreman.url, foreman.pid);
    if (foremanB) add('foreman-b', foremanB.url, foremanB.pid);
    add('plain-proxy', plain.url, plain.pid);
    if (nginx) add('nginx', nginx.url, null);

    for (const t of targets) await checkAnswer(t);
    for (let i = 0; i < WARMUP; i++) for (const t of targets) await timed(t.pool);
    const cpuBefore = targets.map((t) => cpuMsOf(t.pid));

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
    targets.forEach((t, i) => {
      const before = cpuBefore[i];
      const after = cpuMsOf(t.pid);
      t.cpuMs = before == null || after == null ? NaN : after - before;
    });

    const p50 = new Map<string, number>();
    const rows = targets.map((t) => {
      const sorted = [...t.samples].sort((a, b) => a - b);
      p50.set(t.name, percentile(sorted, 50));
      return [
        t.name,
        sorted.length,
        fixed(percentile(sorted, 50), 3),
        fixed(percentile(sorted, 99), 3),
        fixed((t.cpuMs * 1000) / sorted.length, 0),
      ];
    });
    const direct = p50.get('direct')!;
    const plainP50 = p50.get('plain-proxy')!;
    rows.forEach((row) => {
      const own = p50.get(String(row[0]))!;
      row.push(fixed(own / direct), fixed(own / plainP50));
    });

    console.log(`\n== overhead: small non-streamed /api/chat (${N} per target, ${K} per round, interleaved, ${fixed(seconds, 1)} s) ==`);
    console.log(`node ${process.version}, ${os.cpus().length} cores, one keep-alive connection per target, sequential requests`);
    // CPU µs/req: the proxy process's own CPU time (user + system) per request it served, n/a for the
    // simulator (shared by every hop) and nginx (its worker is another process).
    console.log(table(['target', 'requests', 'p50 ms', 'p99 ms', 'CPU µs/req', 'p50/direct', 'p50/plain-proxy'], rows));
    const ratio = p50.get('foreman')! / plainP50;
    console.log(`\nforeman/plain-proxy p50: ${fixed(ratio)} (target ≤ 1.30, goal ≤ 1.00) → ${verdict(ratio <= 1.3, ratio <= 1.0)}`);
    if (foremanB) {
      const ratioB = p50.get('foreman-b')! / plainP50;
      console.log(
        `foreman-b/plain-proxy p50: ${fixed(ratioB)} → ${verdict(ratioB <= 1.3, ratioB <= 1.0)}; foreman-b/foreman p50: ${fixed(p50.get('foreman-b')! / p50.get('foreman')!)}`,
      );
    }
    console.log(
      `foreman/direct p50:      ${fixed(p50.get('foreman')! / direct)} (added ${fixed((p50.get('foreman')! - direct) * 1000, 0)} µs)`,
    );
    if (foremanB)
      console.log(
        `foreman-b/direct p50:    ${fixed(p50.get('foreman-b')! / direct)} (added ${fixed((p50.get('foreman-b')! - direct) * 1000, 0)} µs)`,
      );
    console.log(`plain-proxy/direct p50:  ${fixed(plainP50 / direct)} (added ${fixed((plainP50 - direct) * 1000, 0)} µs)`);
    if (nginx)
      console.log(
        `nginx/direct p50:        ${fixed(p50.get('nginx')! / direct)} (added ${fixed((p50.get('nginx')! - direct) * 1000, 0)} µs)`,
      );
  } finally {
    await Promise.all(targets.map((t) => t.pool.close()));
    await stopAll(servers);
  }
  const marks = process.env.BENCH_MARKS;
  if (marks && fs.existsSync(marks)) {
    console.log(`\n== critical path per request (bench/critical-path.mjs, ${marks}) ==`);
    for (const file of fs.readdirSync(marks).sort()) console.log(`\n${fs.readFileSync(path.join(marks, file), 'utf8').trimEnd()}`);
  }
}

await main();
