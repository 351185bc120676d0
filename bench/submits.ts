/**
 * Durable submits per second: `POST /jobs` with a webhook, each answered 202 only once the job and
 * its `job.queued` outbox row are committed to SQLite on disk. For BENCH_SECONDS (default 5) per run,
 * with C = 1 and C = 16 keep-alive connections, each against a fresh foreman, data dir and simulator.
 *
 * Nothing runs meanwhile: the simulator takes 60 s to load the model, so the first job holds the only
 * slot and every other job stays queued. What is measured is the submit path (validation, one SQLite
 * transaction, the scheduler's enqueue), plus the dispatcher sending `job.queued` webhooks on the same
 * thread, as it would in use. Afterwards the time the dispatcher takes to send the backlog of
 * `job.queued` webhooks is measured, 200 random accepted ids are read back with `GET /jobs/<id>`, and
 * the store is counted page by page.
 *
 * `npx tsx bench/submits.ts` — env BENCH_SECONDS, BENCH_CPU_PROF=DIR (profile foreman).
 */
import os from 'node:os';
import { Pool } from 'undici';
import { stopAll, type Server } from './processes.js';
import { envInt, fixed, percentile, table, verdict } from './report.js';
import { startForeman, startReceiver, startSim } from './servers.js';
import { JSON_HEADERS, MODEL, jobFlags, newSecret, prng, receivedCount, submitBody, waitUntil } from './jobs-client.js';

const SECONDS = envInt('BENCH_SECONDS', 5);
const CONCURRENCY = [1, 16];
const WARMUP = 300;
const SAMPLE = 200;
const TARGET = 1500;
const GOAL = 3000;

interface Run {
  c: number;
  accepted: number;
  seconds: number;
  latencies: number[];
  errors: Map<string, number>;
  /** Webhooks the receiver got during the timed part, and the outbox backlog left at its end. */
  hooksDuring: number;
  backlog: number;
  /** Seconds from the end of the timed part until the backlog was delivered (NaN: not within 30 s). */
  drainSeconds: number;
  sampled: number;
  sampleFound: number;
  stored: number;
  expectedStored: number;
  states: Record<string, number>;
}

async function submit(pool: Pool, body: string): Promise<{ status: number; id?: string; text: string }> {
  const res = await pool.request({ path: '/jobs', method: 'POST', headers: JSON_HEADERS, body });
  const text = await res.body.text();
  return { status: res.statusCode, id: res.statusCode === 202 ? (JSON.parse(text) as { id: string }).id : undefined, text };
}

/** Every job in the store, by paging `GET /jobs` 500 at a time; counts by state. */
async function countStore(pool: Pool): Promise<{ total: number; states: Record<string, number> }> {
  const states: Record<string, number> = {};
  let total = 0;
  let cursor: string | null = null;
  do {
    const res = await pool.request({ path: `/jobs?limit=500${cursor ? `&cursor=${cursor}` : ''}`, method: 'GET' });
    const page = (await res.body.json()) as { jobs: { state: string }[]; next_cursor: string | null };
    for (const j of page.jobs) states[j.state] = (states[j.state] ?? 0) + 1;
    total += page.jobs.length;
    cursor = page.next_cursor;
  } while (cursor);
  return { total, states };
}

async function run(c: number, seed: number): Promise<Run> {
  const secret = newSecret();
  const servers: Server[] = [];
  let foreman: Server | undefined;
  let pool: Pool | undefined;
  try {
    servers.push(await startSim({ models: [MODEL], loadMs: 60_000, tokensPerSec: 0 }));
    const receiver = await startReceiver(secret);
    servers.push(receiver);
    foreman = await startForeman(servers[0]!.url, jobFlags(secret));
    pool = new Pool(foreman.url, { connections: c, pipelining: 1 });
    const hook = `${receiver.url}/hook`;

    let n = 0;
    // Warm-up (JIT, SQLite page cache, connections); its first job takes the slot and the 60 s load.
    for (let i = 0; i < WARMUP; i++) {
      const r = await submit(pool, submitBody(hook, n++, 1, 'submits-warmup'));
      if (r.status !== 202) throw new Error(`warm-up submit answered ${r.status}: ${r.text.slice(0, 200)}`);
    }

    const ids: string[] = [];
    const latencies: number[] = [];
    const errors = new Map<string, number>();
    // Warm-up webhooks first, so the count below is the timed part's own.
    await waitUntil(async () => (await receivedCount(receiver.url)) >= WARMUP, 10_000, 20);
    const hooksBefore = await receivedCount(receiver.url);
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            const r = await submit(pool!, submitBody(hook, n++, 1, 'submits'));
            const ms = performance.now() - t0;
            if (r.id) {
              ids.push(r.id);
              latencies.push(ms);
            } else {
              const key = `HTTP ${r.status} ${r.text.slice(0, 100)}`;
              errors.set(key, (errors.get(key) ?? 0) + 1);
            }
          } catch (err) {
            const key = (err as Error).message;
            errors.set(key, (errors.get(key) ?? 0) + 1);
          }
        }
      }),
    );
    const ended = performance.now();
    const seconds = (ended - started) / 1000;
    const hooksDuring = (await receivedCount(receiver.url)) - hooksBefore;

    // The job.queued webhooks still in the outbox: how long the dispatcher takes to send them once
    // submits stop (the one job.working event may come on top).
    const drained = await waitUntil(async () => (await receivedCount(receiver.url)) - hooksBefore >= ids.length, 30_000, 20);
    const drainSeconds = drained ? (performance.now() - ended) / 1000 : NaN;

    // Read back a random sample of the accepted ids, then count the whole store.
    const random = prng(seed);
    const sample = new Set<string>();
    while (sample.size < Math.min(SAMPLE, ids.length)) sample.add(ids[Math.floor(random() * ids.length)]!);
    let sampleFound = 0;
    for (const id of sample) {
      const res = await pool.request({ path: `/jobs/${id}`, method: 'GET' });
      const job = (await res.body.json()) as { id?: string };
      if (res.statusCode === 200 && job.id === id) sampleFound++;
    }
    const store = await countStore(pool);

    return {
      c,
      accepted: ids.length,
      seconds,
      latencies: latencies.sort((a, b) => a - b),
      errors,
      hooksDuring,
      backlog: Math.max(0, ids.length - hooksDuring),
      drainSeconds,
      sampled: sample.size,
      sampleFound,
      stored: store.total,
      expectedStored: WARMUP + ids.length,
      states: store.states,
    };
  } finally {
    await pool?.close();
    // The first job is still waiting on the simulator's 60 s load, and a SIGTERM would give it foreman's
    // 10 s grace. kill -9 ends it at once (the data dir goes with it). A profile needs the SIGTERM: then
    // the simulator goes first, so the job's request fails at once and foreman can shut down.
    if (process.env.BENCH_CPU_PROF) {
      await servers[0]?.kill();
      await foreman?.stop();
    } else {
      await foreman?.kill();
    }
    await stopAll(servers);
  }
}

async function main(): Promise<void> {
  const seed = envInt('BENCH_SEED', Math.floor(Math.random() * 2 ** 31) + 1);
  const runs: Run[] = [];
  for (const c of CONCURRENCY) runs.push(await run(c, seed + c));

  console.log(`\n== submits: POST /jobs with a webhook, SQLite on disk, ${SECONDS} s per run, scheduler held by a 60 s model load ==`);
  console.log(
    `node ${process.version}, ${os.cpus().length} cores, undici Pool with C keep-alive connections, ${WARMUP} warm-up submits per run`,
  );
  console.log(
    table(
      ['C', 'accepted', 'submits/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'hooks sent/s', 'backlog', 'drain s', 'drain/s'],
      runs.map((r) => [
        r.c,
        r.accepted,
        fixed(r.accepted / r.seconds, 0),
        fixed(percentile(r.latencies, 50), 3),
        fixed(percentile(r.latencies, 99), 3),
        fixed(r.latencies.at(-1) ?? NaN, 1),
        [...r.errors.values()].reduce((a, b) => a + b, 0),
        fixed(r.hooksDuring / r.seconds, 0),
        r.backlog,
        fixed(r.drainSeconds, 2),
        r.backlog > 100 ? fixed(r.backlog / r.drainSeconds, 0) : '-',
      ]),
    ),
  );
  console.log('hooks sent/s: job.queued webhooks delivered while submits ran; backlog: the ones left in the outbox at the end,');
  console.log('sent within "drain s" once submits stopped (drain/s = the dispatcher on an otherwise idle foreman)');
  let ok = true;
  for (const r of runs) {
    if (!Number.isFinite(r.drainSeconds)) console.log(`  C=${r.c}: the webhook backlog was not delivered within 30 s`);
    for (const [e, count] of r.errors) console.log(`  C=${r.c} error ×${count}: ${e}`);
    const states = Object.entries(r.states)
      .map(([s, k]) => `${s} ${k}`)
      .join(', ');
    console.log(
      `C=${r.c}: ${r.sampleFound}/${r.sampled} sampled 202'd ids found by GET /jobs/<id>; store holds ${r.stored} jobs (expected ${r.expectedStored}: ${states})`,
    );
    if (r.sampleFound !== r.sampled || r.stored !== r.expectedStored || r.errors.size > 0 || !Number.isFinite(r.drainSeconds)) ok = false;
  }
  const best = Math.max(...runs.map((r) => r.accepted / r.seconds));
  console.log(`\nbest submits/s: ${fixed(best, 0)} (target ≥ ${TARGET}, goal ≥ ${GOAL}) → ${verdict(best >= TARGET, best >= GOAL)}`);
  console.log(`sample seed: ${seed} (BENCH_SEED=${seed} picks the same sample positions)`);
  if (!ok) {
    console.log('FAILED: an accepted job is missing from the store, a submit failed, or webhooks were not delivered');
    process.exitCode = 1;
  }
}

await main();
