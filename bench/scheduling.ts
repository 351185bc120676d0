/**
 * Drain-by-model against Ollama's own first-come-first-served order: 48 requests for 4 models,
 * interleaved, with room for one loaded model. Counts model loads (the simulator's) and makespan.
 *
 * `npx tsx bench/scheduling.ts` — env BENCH_CPU_PROF=DIR (profile foreman).
 */
import { Pool } from 'undici';
import { stopAll, type Server } from './processes.js';
import { fixed, table, verdict } from './report.js';
import { startForeman, startSim, type SimFlags } from './servers.js';

const MODELS = ['llama3.2', 'qwen3:0.6b', 'gemma3:1b', 'mistral'];
const REQUESTS = 48;
const SPACING_MS = 5;
// 4 tokens at 200 tok/s: about 20 ms of generation per answer against a 150 ms load.
const SIM: SimFlags = { models: MODELS, loadMs: 150, tokensPerSec: 200, maxLoaded: 1, parallel: 1 };
const TOKENS = 4;

interface Trial {
  loads: number;
  loadsByModel: Record<string, number>;
  makespanMs: number;
  failures: string[];
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

async function simStats(simUrl: string): Promise<{ loads: number; loadsByModel: Record<string, number> }> {
  const res = await fetch(`${simUrl}/__sim/stats`);
  return (await res.json()) as { loads: number; loadsByModel: Record<string, number> };
}

/** Sends the 48 requests on a fixed timetable (not each after the last), so arrivals interleave. */
async function trial(url: string, simUrl: string): Promise<Trial> {
  const pool = new Pool(url, { connections: REQUESTS });
  const failures: string[] = [];
  try {
    const t0 = performance.now() + 20;
    let firstSend = Infinity;
    let lastAnswer = 0;
    await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const model = MODELS[i % MODELS.length]!;
        await sleepUntil(t0 + i * SPACING_MS);
        firstSend = Math.min(firstSend, performance.now());
        const res = await pool.request({
          path: '/api/chat',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: `request ${i} [[sim:tokens=${TOKENS}]]` }], stream: false }),
        });
        const text = await res.body.text();
        lastAnswer = Math.max(lastAnswer, performance.now());
        if (res.statusCode !== 200) failures.push(`#${i} ${model}: HTTP ${res.statusCode} ${text.slice(0, 120)}`);
      }),
    );
    const stats = await simStats(simUrl);
    return { loads: stats.loads, loadsByModel: stats.loadsByModel, makespanMs: lastAnswer - firstSend, failures };
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const servers: Server[] = [];
  let direct: Trial;
  let viaForeman: Trial;
  try {
    const sim = await startSim(SIM);
    servers.push(sim);
    direct = await trial(sim.url, sim.url);
    await stopAll(servers.splice(0));

    // A fresh simulator, so foreman starts from the same cold state as the direct run.
    const sim2 = await startSim(SIM);
    servers.push(sim2);
    const foreman = await startForeman(sim2.url);
    servers.push(foreman);
    viaForeman = await trial(foreman.url, sim2.url);
  } finally {
    await stopAll(servers);
  }

  const byModel = (t: Trial) => MODELS.map((m) => `${m}:${t.loadsByModel[m] ?? t.loadsByModel[`${m}:latest`] ?? 0}`).join(' ');
  console.log(
    `\n== scheduling: ${REQUESTS} /api/chat, ${SPACING_MS} ms apart, round-robin over ${MODELS.length} models, 1 loaded at a time, ${SIM.loadMs} ms loads ==`,
  );
  console.log(
    table(
      ['run', 'model loads', 'makespan ms', 'failed', 'loads by model'],
      [
        ['direct (FCFS)', direct.loads, fixed(direct.makespanMs, 0), direct.failures.length, byModel(direct)],
        ['foreman', viaForeman.loads, fixed(viaForeman.makespanMs, 0), viaForeman.failures.length, byModel(viaForeman)],
      ],
    ),
  );
  for (const f of [...direct.failures, ...viaForeman.failures]) console.log(`  failed: ${f}`);
  const speedup = direct.makespanMs / viaForeman.makespanMs;
  const lowerBound = MODELS.length;
  console.log(
    `\nforeman loads: ${viaForeman.loads} (lower bound ${lowerBound}, target ≤ ${lowerBound * 1.5}) → ${verdict(viaForeman.loads <= lowerBound * 1.5)}`,
  );
  console.log(`makespan direct/foreman: ${fixed(speedup)}× (target ≥ 3) → ${verdict(speedup >= 3)}`);
  if (direct.failures.length || viaForeman.failures.length) process.exitCode = 1;
}

await main();
