/**
 * Soak (issue 9): 1,000 concurrent clients, 20,000 mixed requests (native chat and generate streamed and
 * not, `/v1/chat/completions` streamed) over 3 models, one model resident at a time in the simulator,
 * while 200 `/foreman/events` subscribers watch (10 of them never read a byte). Reports foreman's peak
 * RSS (`VmHWM`), `/foreman/health` latency polled every 50 ms from a process of its own, model loads
 * (`/__sim/stats`) and errors, against the targets: RSS < 250 MB, health max < 100 ms, 0 errors, loads
 * ≤ 2 × lanes.
 *
 * `npm run -s build && npx tsx bench/soak.ts` (not part of `npm run bench`, not in `npm test`). Loopback
 * only; bounded by BENCH_SOAK_BUDGET_S (default 300 s). BENCH_SOAK_CLIENTS, BENCH_SOAK_REQUESTS,
 * BENCH_SOAK_SUBSCRIBERS, BENCH_SOAK_STALLED scale it; the simulator answers 12 tokens at BENCH_SOAK_TPS
 * tokens a second (default 100, as a small model on a GPU; 0 = as fast as it can, which saturates the
 * machine) with BENCH_SOAK_PARALLEL in flight (default 32, and foreman's --concurrency to match);
 * BENCH_CPU_PROF=DIR profiles foreman.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { ROOT, stopAll, tsx, type Server } from './processes.js';
import { envInt, fixed, percentile, table, verdict } from './report.js';
import { startForeman, startSim } from './servers.js';

interface Plan {
  path: string;
  body: Record<string, unknown>;
  kind: 'ndjson' | 'json' | 'sse';
}

const MODELS = ['llama3.2', 'gemma3:1b', 'mistral'];

/** The i-th request of client c: a fixed mix, so runs compare. A client keeps to its model, as an app does. */
function plan(c: number, i: number): Plan {
  const model = MODELS[c % MODELS.length]!;
  const content = `soak ${c}/${i}`;
  switch ((c * 7 + i) % 5) {
    case 0:
      return { path: '/api/chat', kind: 'ndjson', body: { model, messages: [{ role: 'user', content }] } };
    case 1:
      return { path: '/api/chat', kind: 'json', body: { model, messages: [{ role: 'user', content }], stream: false } };
    case 2:
      return { path: '/api/generate', kind: 'ndjson', body: { model, prompt: content } };
    case 3:
      return { path: '/api/generate', kind: 'json', body: { model, prompt: content, stream: false } };
    default:
      return { path: '/v1/chat/completions', kind: 'sse', body: { model, messages: [{ role: 'user', content }], stream: true } };
  }
}

/** Null if the answer is whole and well-formed, else what is wrong with it. */
function check(p: Plan, status: number, text: string): string | null {
  if (status !== 200) return `${p.path} ${status}: ${text.slice(0, 200)}`;
  try {
    if (p.kind === 'json') return (JSON.parse(text) as { done?: boolean }).done === true ? null : `${p.path}: not done`;
    if (p.kind === 'ndjson') {
      const last = JSON.parse(text.trimEnd().split('\n').at(-1) ?? '') as { done?: boolean; error?: string };
      return last.done === true ? null : `${p.path}: stream ended with ${JSON.stringify(last).slice(0, 200)}`;
    }
    return text.endsWith('data: [DONE]\n\n') ? null : `${p.path}: SSE without [DONE]: ${text.slice(-200)}`;
  } catch (err) {
    return `${p.path}: ${(err as Error).message}`;
  }
}

/** CPU time the process ran, and time it was ready to run but waited for a CPU (ns), from the scheduler. */
function schedstat(pid: number): { run: number; wait: number } {
  const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  return { run: run ?? NaN, wait: wait ?? NaN };
}

function status(pid: number): { rss: number; hwm: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

/** A child that prints a readiness line; resolves with the child once it has. */
function child(command: string, args: string[], ready: string): Promise<{ proc: ReturnType<typeof spawn>; out: () => string }> {
  const proc = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  process.once('exit', () => proc.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code} before "${ready}"`)));
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes(ready)) resolve({ proc, out: () => out });
    });
  });
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const clients = envInt('BENCH_SOAK_CLIENTS', 1000);
  const total = envInt('BENCH_SOAK_REQUESTS', 20_000);
  const subscribers = envInt('BENCH_SOAK_SUBSCRIBERS', 200);
  const stalled = Math.min(subscribers, envInt('BENCH_SOAK_STALLED', 10));
  const budgetMs = envInt('BENCH_SOAK_BUDGET_S', 300) * 1000;
  const tps = process.env.BENCH_SOAK_TPS === '0' ? 0 : envInt('BENCH_SOAK_TPS', 100);
  const parallel = envInt('BENCH_SOAK_PARALLEL', 32);
  const servers: (Server | null)[] = [];
  try {
    // One model resident at a time, `parallel` requests in flight on it, each answer 12 tokens at `tps`
    // tokens a second (0: as fast as the simulator goes, which saturates the machine instead).
    const sim = await startSim({ models: MODELS, loadMs: 150, tokensPerSec: tps, maxLoaded: 1, parallel });
    servers.push(sim);
    // foreman told what Ollama allows (one model, `parallel` in flight); every client waits its turn rather
    // than getting Ollama's own 503 beyond the default 512 waiting (which would be right, but not what is measured).
    const foreman = await startForeman(sim.url, [
      '--max-loaded',
      '1',
      '--concurrency',
      String(parallel),
      '--max-queue',
      String(clients * 2),
    ]);
    servers.push(foreman);
    const lanes = MODELS.length;

    const crowd = await child(
      process.execPath,
      [path.join(ROOT, 'main/test-support/sse-crowd.mjs'), new URL(foreman.url).host, String(subscribers - stalled), String(stalled)],
      'ready',
    );
    const pollerCmd = tsx('bench/soak.ts', ['--poll-health', foreman.url]);
    const poller = await child(pollerCmd.command, pollerCmd.args, 'polling');

    const agent = new Agent({ connections: clients, keepAliveTimeout: 60_000 });
    const errors: string[] = [];
    let done = 0;
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, status(foreman.pid).rss)), 250);
    // The machine's load when the run starts and ends: other work on the box shows up in every figure.
    const loadBefore = os.loadavg()[0]!;
    const schedBefore = schedstat(foreman.pid);
    const deadline = performance.now() + budgetMs;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        // Each client sends its share one after another: `clients` requests in flight at all times.
        const share = Math.floor(total / clients) + (c < total % clients ? 1 : 0);
        for (let i = 0; i < share; i++) {
          if (performance.now() > deadline) return;
          const p = plan(c, i);
          try {
            const res = await request(`${foreman.url}${p.path}`, {
              method: 'POST',
              dispatcher: agent,
              body: JSON.stringify(p.body),
              headers: { 'content-type': 'application/json' },
              headersTimeout: budgetMs,
              bodyTimeout: budgetMs,
            });
            const problem = check(p, res.statusCode, await res.body.text());
            if (problem) errors.push(problem);
            else done++;
          } catch (err) {
            errors.push(`${p.path}: ${(err as Error).message}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const schedAfter = schedstat(foreman.pid);
    clearInterval(sampler);
    const mem = status(foreman.pid);
    peakRss = Math.max(peakRss, mem.rss);

    poller.proc.kill('SIGUSR2');
    await new Promise((r) => poller.proc.once('exit', r));
    const polled = JSON.parse(poller.out().trim().split('\n').at(-1) as string) as {
      latencies: number[];
      failures: number;
      maxEventBytes: number;
    };
    const health = (await (await fetch(`${foreman.url}/foreman/health`)).json()) as {
      status: string;
      events: { subscribers: number; queued_bytes: number; dropped: number } | null;
    };
    crowd.proc.kill('SIGTERM');
    const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as {
      loads: number;
      loadsByModel: Record<string, number>;
      log: { model: string; startedAt?: number }[];
    };
    // Which model Ollama served when: a turn is a run of requests for one model, in the order they started.
    const ran = stats.log.filter((e) => e.startedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt!);
    const turns: { model: string; at: number }[] = [];
    for (const e of ran) if (turns.at(-1)?.model !== e.model) turns.push({ model: e.model, at: e.startedAt! - ran[0]!.startedAt! });
    await agent.close();

    const sorted = [...polled.latencies].sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    const max = sorted.at(-1) ?? NaN;
    const timedOut = done + errors.length < total;
    const rssOk = mem.hwm < 250 * MB;
    const healthOk = max < 100 && polled.failures === 0;
    const errorsOk = errors.length === 0 && !timedOut;
    const loadsOk = stats.loads <= 2 * lanes;

    console.log(
      `\n## Soak: ${clients} clients, ${total} requests over ${lanes} models, ${subscribers} event subscribers (${stalled} never read); ${parallel} in flight, ${tps ? `${tps} tokens/s` : 'answers at full speed'}\n`,
    );
    console.log(
      table(
        ['measure', 'value', 'target', ''],
        [
          ['peak RSS (VmHWM)', `${fixed(mem.hwm / MB, 1)} MB`, '< 250 MB', verdict(rssOk)],
          ['peak RSS (sampled VmRSS)', `${fixed(peakRss / MB, 1)} MB`, '', ''],
          ['/foreman/health p50', `${fixed(percentile(sorted, 50), 1)} ms`, '', ''],
          ['/foreman/health p99', `${fixed(p99, 1)} ms`, '', ''],
          ['/foreman/health max', `${fixed(max, 1)} ms`, '< 100 ms', verdict(healthOk)],
          ['health polls (failed)', `${sorted.length} (${polled.failures})`, '', ''],
          ['requests answered whole', `${done} of ${total}`, '', ''],
          ['errors', `${errors.length}${timedOut ? ' (out of time)' : ''}`, '0', verdict(errorsOk)],
          [
            'model loads',
            `${stats.loads} (${Object.entries(stats.loadsByModel)
              .map(([m, n]) => `${m} ${n}`)
              .join(', ')})`,
            `≤ ${2 * lanes}`,
            verdict(loadsOk),
          ],
          ['throughput', `${fixed(done / seconds, 0)} req/s over ${fixed(seconds, 1)} s`, '', ''],
          [
            'foreman on a CPU / waiting for one',
            `${fixed((schedAfter.run - schedBefore.run) / 1e9, 1)} s / ${fixed((schedAfter.wait - schedBefore.wait) / 1e9, 1)} s of ${fixed(seconds, 1)} s`,
            '',
            '',
          ],
          [
            'load average (1 min) before → after',
            `${fixed(loadBefore, 1)} → ${fixed(os.loadavg()[0]!, 1)} on ${os.cpus().length} CPUs`,
            '',
            '',
          ],
          ['event subscribers at the end (dropped)', `${health.events?.subscribers ?? 'n/a'} (${health.events?.dropped ?? 'n/a'})`, '', ''],
          ['event bytes waiting for readers (max seen)', `${fixed(polled.maxEventBytes / MB, 1)} MB`, '', ''],
        ],
      ),
    );
    console.log(
      `\nturns (model from second): ${turns.map((t) => `${t.model.replace(/:latest$/, '')} ${fixed(t.at / 1000, 1)}`).join(', ')}`,
    );
    for (const e of errors.slice(0, 10)) console.log(`error: ${e}`);
    if (!(rssOk && healthOk && errorsOk && loadsOk)) process.exitCode = 1;
  } finally {
    await stopAll(servers);
  }
}

// ---- The health poller: `soak.ts --poll-health URL` in a child process, so the load generator's busy
// event loop never counts against foreman. It prints one JSON line of latencies (ms) on SIGUSR2 (SIGTERM ends bench processes at once).
async function pollHealth(): Promise<void> {
  const url = `${process.argv[3]}/foreman/health`;
  const agent = new Agent({ connections: 1 });
  const latencies: number[] = [];
  let failures = 0;
  let maxEventBytes = 0;
  let stop = false;
  process.once('SIGUSR2', () => (stop = true));
  process.stdout.write('polling\n');
  const tick = async () => {
    while (!stop) {
      const started = performance.now();
      try {
        const res = await request(url, { dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
        const health = (await res.body.json()) as { events?: { queued_bytes?: number } | null };
        if (res.statusCode !== 200) failures++;
        maxEventBytes = Math.max(maxEventBytes, health.events?.queued_bytes ?? 0);
      } catch {
        failures++;
      }
      const took = performance.now() - started;
      latencies.push(took);
      await new Promise((r) => setTimeout(r, Math.max(0, 50 - took)));
    }
    process.stdout.write(`${JSON.stringify({ latencies, failures, maxEventBytes })}\n`);
    process.exit(0);
  };
  await tick();
}

if (process.argv[2] === '--poll-health') await pollHealth();
else await main();
