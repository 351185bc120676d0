/**
 * How much of the direct chunk rate a long NDJSON stream keeps through foreman (pipe plus transcript
 * tee). The simulator writes as fast as it can, so the hop is the only thing that differs.
 *
 * `npx tsx bench/streaming.ts` — env BENCH_TOKENS (default 20000), BENCH_REPS (runs per target,
 * default 10), BENCH_CPU_PROF=DIR (profile foreman).
 */
import { Pool } from 'undici';
import { stopAll, type Server } from './processes.js';
import { envInt, fixed, median, table, verdict } from './report.js';
import { startForeman, startSim } from './servers.js';

const TOKENS = envInt('BENCH_TOKENS', 20_000);
const REPS = envInt('BENCH_REPS', 10);
const NEWLINE = 0x0a;

const body = (tokens: number) =>
  JSON.stringify({ model: 'llama3.2', prompt: `tell me a long story [[sim:tokens=${tokens}]]`, stream: true });

interface Run {
  lines: number;
  /** Socket reads the client saw: a hop that coalesces lines hands the client fewer, larger reads. */
  reads: number;
  ms: number;
  bytes: Buffer;
}

/** Lines are counted as bytes arrive; the bytes are kept so they can be checked after the clock stops. */
async function stream(pool: Pool, tokens: number): Promise<Run> {
  const t0 = performance.now();
  const res = await pool.request({
    path: '/api/generate',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(tokens),
  });
  const chunks: Buffer[] = [];
  let lines = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
    chunks.push(chunk);
  }
  const ms = performance.now() - t0;
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`);
  return { lines, reads: chunks.length, ms, bytes: Buffer.concat(chunks) };
}

/** Every line must be a JSON object and the last one `done: true`; returns the number of lines. */
function parsedLines(name: string, bytes: Buffer): number {
  const text = bytes.toString('utf8');
  if (!text.endsWith('\n')) throw new Error(`${name}: the stream does not end with a newline`);
  const lines = text.slice(0, -1).split('\n');
  let last: { done?: boolean } = {};
  for (const line of lines) last = JSON.parse(line) as { done?: boolean };
  if (last.done !== true) throw new Error(`${name}: the last line is not done:true`);
  return lines.length;
}

async function main(): Promise<void> {
  const servers: Server[] = [];
  const pools: Pool[] = [];
  try {
    const sim = await startSim({ models: ['llama3.2'], loadMs: 0, tokensPerSec: 0 });
    servers.push(sim);
    const foreman = await startForeman(sim.url);
    servers.push(foreman);
    const targets = [
      {
        name: 'direct',
        pool: new Pool(sim.url, { connections: 1 }),
        rates: [] as number[],
        reads: [] as number[],
        lines: new Set<number>(),
      },
      {
        name: 'foreman',
        pool: new Pool(foreman.url, { connections: 1 }),
        rates: [] as number[],
        reads: [] as number[],
        lines: new Set<number>(),
      },
    ];
    pools.push(...targets.map((t) => t.pool));

    for (const t of targets) await stream(t.pool, Math.min(TOKENS, 2000));
    for (let rep = 0; rep < REPS; rep++) {
      // Alternate who goes first so a slow spell does not always fall on the same target.
      const order = rep % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        const run = await stream(t.pool, TOKENS);
        const parsed = parsedLines(t.name, run.bytes);
        if (parsed !== run.lines) throw new Error(`${t.name}: counted ${run.lines} lines as they arrived but ${parsed} parse`);
        t.rates.push(run.lines / (run.ms / 1000));
        t.reads.push(run.reads);
        t.lines.add(run.lines);
      }
    }

    const [direct, viaForeman] = targets as [(typeof targets)[0], (typeof targets)[0]];
    const sameLines = direct.lines.size === 1 && [...viaForeman.lines].every((n) => direct.lines.has(n));
    console.log(`\n== streaming: one /api/generate NDJSON stream of ${TOKENS} tokens, ${REPS} runs each, interleaved ==`);
    console.log(
      table(
        ['target', 'lines/run', 'median reads/run', 'median chunks/s', 'min', 'max'],
        targets.map((t) => [
          t.name,
          [...t.lines].join(','),
          fixed(median(t.reads), 0),
          fixed(median(t.rates), 0),
          fixed(Math.min(...t.rates), 0),
          fixed(Math.max(...t.rates), 0),
        ]),
      ),
    );
    const ratio = median(viaForeman.rates) / median(direct.rates);
    console.log(`\nforeman/direct chunk rate: ${fixed(ratio)} (target ≥ 0.80, goal ≥ 0.95) → ${verdict(ratio >= 0.8, ratio >= 0.95)}`);
    console.log(`lines through foreman parse to the same count as direct: ${sameLines ? 'yes' : 'NO'}`);
    if (!sameLines) process.exitCode = 1;
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await stopAll(servers);
  }
}

await main();
