/**
 * Webhook deliveries per second and the lag from a state change to its delivery. BENCH_JOBS (default
 * 300) generate jobs of one token each are submitted at once over 16 connections; the simulator
 * answers at full speed (1 ms load), so jobs finish about as fast as foreman runs them and the
 * dispatcher (8 in flight, per-job order) has three events per job to send. The receiver, in its own
 * process, answers 200 at once and stamps each arrival; lag = arrival − the event's `timestamp`.
 * A second, paced phase (one job every 20 ms) gives the lag when the dispatcher is not behind.
 *
 * `npx tsx bench/webhooks.ts` — env BENCH_JOBS, BENCH_CPU_PROF=DIR (profile foreman).
 */
import os from 'node:os';
import { Pool } from 'undici';
import { stopAll, type Server } from './processes.js';
import { envInt, fixed, percentile, table } from './report.js';
import { startForeman, startReceiver, startSim } from './servers.js';
import {
  JSON_HEADERS,
  MODEL,
  fetchReceived,
  jobFlags,
  newSecret,
  receivedCount,
  submitBody,
  waitUntil,
  type Delivery,
} from './jobs-client.js';

const JOBS = envInt('BENCH_JOBS', 300);
const PACED_JOBS = 50;
const PACE_MS = 20;
const CONNECTIONS = 16;
const EVENTS = ['job.queued', 'job.working', 'job.succeeded'];

interface Phase {
  name: string;
  ids: string[];
  /** Wall-clock ms of the first submit sent. */
  startedAt: number;
  deliveries: Delivery[];
  timedOut: boolean;
}

const wallNow = () => performance.timeOrigin + performance.now();

async function submitAll(pool: Pool, bodies: string[], paceMs: number): Promise<string[]> {
  const ids: string[] = new Array<string>(bodies.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < bodies.length) {
        const i = next++;
        if (paceMs > 0) await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * paceMs - performance.now())));
        const res = await pool.request({ path: '/jobs', method: 'POST', headers: JSON_HEADERS, body: bodies[i] });
        const text = await res.body.text();
        if (res.statusCode !== 202) throw new Error(`submit ${i} answered ${res.statusCode}: ${text.slice(0, 200)}`);
        ids[i] = (JSON.parse(text) as { id: string }).id;
      }
    }),
  );
  return ids;
}

async function phase(name: string, pool: Pool, receiverUrl: string, count: number, paceMs: number, offset: number): Promise<Phase> {
  const from = await receivedCount(receiverUrl);
  const hook = `${receiverUrl}/hook`;
  const bodies = Array.from({ length: count }, (_, i) => submitBody(hook, offset + i, 1, `webhooks-${name}`));
  const startedAt = wallNow();
  const ids = await submitAll(pool, bodies, paceMs);
  const want = count * EVENTS.length;
  const done = await waitUntil(async () => (await receivedCount(receiverUrl)) - from >= want, 60_000, 20);
  return { name, ids, startedAt, deliveries: await fetchReceived(receiverUrl, from), timedOut: !done };
}

interface Summary {
  rows: (string | number)[][];
  problems: string[];
  line: string;
}

function summarize(p: Phase): Summary {
  const problems: string[] = [];
  if (p.timedOut) problems.push(`timed out waiting for ${p.ids.length * EVENTS.length} deliveries`);
  const seen = new Set<string>();
  const firsts: Delivery[] = [];
  let duplicates = 0;
  let badSignatures = 0;
  for (const d of p.deliveries) {
    if (!d.signatureOk) badSignatures++;
    if (seen.has(d.id)) duplicates++;
    else {
      seen.add(d.id);
      firsts.push(d);
    }
  }
  // Every job: exactly one event of each type, arriving in order.
  const byJob = new Map<string, Delivery[]>();
  for (const d of firsts) byJob.set(d.job, [...(byJob.get(d.job) ?? []), d]);
  let incomplete = 0;
  let outOfOrder = 0;
  for (const id of p.ids) {
    const types = (byJob.get(id) ?? []).map((d) => d.type);
    if (types.length !== EVENTS.length || !EVENTS.every((t) => types.includes(t))) incomplete++;
    else if (types.join() !== EVENTS.join()) outOfOrder++;
  }
  if (incomplete) problems.push(`${incomplete} jobs without exactly one queued, working and succeeded webhook`);
  if (outOfOrder) problems.push(`${outOfOrder} jobs whose webhooks arrived out of order`);
  if (badSignatures) problems.push(`${badSignatures} deliveries with a bad signature`);

  const lastArrival = Math.max(...firsts.map((d) => d.arrivedAt));
  const lastTerminal = Math.max(...firsts.filter((d) => d.type === 'job.succeeded').map((d) => d.eventAt));
  const seconds = (lastArrival - p.startedAt) / 1000;
  const rows = [...EVENTS, 'all'].map((type) => {
    const lags = firsts
      .filter((d) => type === 'all' || d.type === type)
      .map((d) => d.arrivedAt - d.eventAt)
      .sort((a, b) => a - b);
    return [`${p.name} ${type}`, lags.length, fixed(percentile(lags, 50), 1), fixed(percentile(lags, 99), 1), fixed(lags.at(-1) ?? NaN, 1)];
  });
  const line =
    `${p.name}: ${firsts.length} deliveries (${duplicates} duplicates) for ${p.ids.length} jobs in ${fixed(seconds, 2)} s from the first submit → ` +
    `${fixed(firsts.length / seconds, 0)} deliveries/s; last job finished ${fixed((lastTerminal - p.startedAt) / 1000, 2)} s in, ` +
    `last delivery ${fixed((lastArrival - lastTerminal) / 1000, 2)} s after that`;
  return { rows, problems, line };
}

async function main(): Promise<void> {
  const secret = newSecret();
  const servers: Server[] = [];
  let pool: Pool | undefined;
  const phases: Phase[] = [];
  try {
    const sim = await startSim({ models: [MODEL], loadMs: 1, tokensPerSec: 0 });
    servers.push(sim);
    const receiver = await startReceiver(secret);
    servers.push(receiver);
    const foreman = await startForeman(sim.url, jobFlags(secret));
    servers.push(foreman);
    pool = new Pool(foreman.url, { connections: CONNECTIONS, pipelining: 1 });

    await phase('warm-up', pool, receiver.url, 30, 0, 0);
    phases.push(await phase('burst', pool, receiver.url, JOBS, 0, 1000));
    phases.push(await phase('paced', pool, receiver.url, PACED_JOBS, PACE_MS, 100_000));
  } finally {
    await pool?.close();
    await stopAll(servers);
  }

  const summaries = phases.map(summarize);
  console.log(
    `\n== webhooks: ${JOBS} generate jobs at once (then ${PACED_JOBS} paced ${PACE_MS} ms apart), 1 token each, simulator at full speed, receiver answering 200 ==`,
  );
  console.log(
    `node ${process.version}, ${os.cpus().length} cores; lag = arrival at the receiver − the event's timestamp (first delivery of each webhook-id)`,
  );
  console.log(
    table(
      ['phase / event', 'deliveries', 'lag p50 ms', 'lag p99 ms', 'max ms'],
      summaries.flatMap((s) => s.rows),
    ),
  );
  for (const s of summaries) console.log(s.line);
  const problems = summaries.flatMap((s, i) => s.problems.map((m) => `${phases[i]!.name}: ${m}`));
  for (const m of problems) console.log(`PROBLEM ${m}`);
  if (problems.length) process.exitCode = 1;
  else console.log('every job: one queued, one working, one succeeded webhook, in order, signatures valid');
}

await main();
