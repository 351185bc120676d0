/**
 * kill -9 in a loop: BENCH_ROUNDS (default 20) times, foreman starts on the SAME data dir, takes a
 * batch of BENCH_BATCH (default 20) jobs with webhooks, and is killed with SIGKILL at a random moment
 * 0–400 ms after the last 202 (seeded PRNG; BENCH_SEED replays the schedule of delays, though not the
 * exact interleaving). Then it starts once more and runs until every job has ended.
 *
 * What ADR-0004/0005 promise, checked here: a 202'd job survives (`jobs lost`), every job ends
 * (`not terminal`), each job's terminal webhook arrives (`terminal webhooks missing`) exactly once per
 * webhook-id (duplicates are at-least-once delivery and are only counted), no job has two different
 * terminal events, per-job events arrive in order, and signatures verify. Exits 1 if any does not hold.
 *
 * `npx tsx bench/crash-loop.ts` — env BENCH_SEED, BENCH_ROUNDS, BENCH_BATCH.
 */
import { Pool } from 'undici';
import { removeTempDir, stopAll, tempDir, type Server } from './processes.js';
import { envInt, fixed, table } from './report.js';
import { startForeman, startReceiver, startSim } from './servers.js';
import {
  JSON_HEADERS,
  MODEL,
  TERMINAL_STATES,
  TERMINAL_TYPES,
  fetchReceived,
  jobFlags,
  newSecret,
  prng,
  submitBody,
  waitUntil,
  type Delivery,
} from './jobs-client.js';

const ROUNDS = envInt('BENCH_ROUNDS', 20);
const BATCH = envInt('BENCH_BATCH', 20);
const MAX_KILL_DELAY_MS = 400;
/** The whole benchmark, start-ups included, must end within this. */
const BUDGET_MS = 115_000;

const started = performance.now();
const left = () => BUDGET_MS - (performance.now() - started);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Round {
  round: number;
  accepted: number;
  refused: number;
  killDelayMs: number;
  startMs: number;
}

interface JobCheck {
  id: string;
  round: number;
  status: number;
  state: string | null;
  attempts: number;
}

async function submitBatch(
  pool: Pool,
  hook: string,
  round: number,
  accepted: Map<string, number>,
): Promise<{ accepted: number; refused: number }> {
  let ok = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: BATCH }, async (_, i) => {
      const res = await pool.request({
        path: '/jobs',
        method: 'POST',
        headers: JSON_HEADERS,
        body: submitBody(hook, round * 1000 + i, 10, 'crash-loop'),
      });
      const text = await res.body.text();
      if (res.statusCode === 202) {
        accepted.set((JSON.parse(text) as { id: string }).id, round);
        ok++;
      } else {
        refused++;
        console.log(`  round ${round}: submit ${i} answered ${res.statusCode} ${text.slice(0, 160)}`);
      }
    }),
  );
  return { accepted: ok, refused };
}

async function checkJobs(pool: Pool, accepted: Map<string, number>): Promise<JobCheck[]> {
  const out: JobCheck[] = [];
  const ids = [...accepted.keys()];
  for (let i = 0; i < ids.length; i += 16) {
    await Promise.all(
      ids.slice(i, i + 16).map(async (id) => {
        const res = await pool.request({ path: `/jobs/${id}`, method: 'GET' });
        const body = (await res.body.json()) as { state?: string; attempts?: number };
        out.push({
          id,
          round: accepted.get(id)!,
          status: res.statusCode,
          state: res.statusCode === 200 ? (body.state ?? null) : null,
          attempts: body.attempts ?? 0,
        });
      }),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const seed = envInt('BENCH_SEED', Math.floor(Math.random() * 2 ** 31) + 1);
  console.log(`crash-loop seed: ${seed} (replay the kill delays with BENCH_SEED=${seed} npx tsx bench/crash-loop.ts)`);
  const random = prng(seed);
  const watchdog = setTimeout(() => {
    console.log(`FAILED: crash-loop did not finish within ${BUDGET_MS / 1000} s (seed ${seed})`);
    process.exit(1);
  }, BUDGET_MS);
  watchdog.unref();

  const secret = newSecret();
  const dataDir = tempDir('crash-loop');
  const servers: Server[] = [];
  const accepted = new Map<string, number>();
  const rounds: Round[] = [];
  let deliveries: Delivery[] = [];
  let checks: JobCheck[];
  let settled: boolean;
  let webhooksSettled: boolean;
  try {
    const sim = await startSim({ models: [MODEL], loadMs: 5, tokensPerSec: 400 });
    servers.push(sim);
    const receiver = await startReceiver(secret);
    servers.push(receiver);
    const hook = `${receiver.url}/hook`;

    for (let round = 1; round <= ROUNDS; round++) {
      const t0 = performance.now();
      const foreman = await startForeman(sim.url, jobFlags(secret), { dataDir });
      const startMs = performance.now() - t0;
      const pool = new Pool(foreman.url, { connections: 8 });
      const killDelayMs = Math.floor(random() * (MAX_KILL_DELAY_MS + 1));
      try {
        const batch = await submitBatch(pool, hook, round, accepted);
        await sleep(killDelayMs);
        await foreman.kill();
        rounds.push({ round, ...batch, killDelayMs, startMs });
      } finally {
        await foreman.kill();
        await pool.destroy();
      }
    }

    // The last start: everything accepted must end, and every terminal webhook must arrive.
    const foreman = await startForeman(sim.url, jobFlags(secret), { dataDir });
    servers.push(foreman);
    const pool = new Pool(foreman.url, { connections: 16 });
    try {
      const openCount = async () => {
        let n = 0;
        for (const state of ['queued', 'working']) {
          const res = await pool.request({ path: `/jobs?state=${state}&limit=500`, method: 'GET' });
          n += ((await res.body.json()) as { jobs: unknown[] }).jobs.length;
        }
        return n;
      };
      settled = await waitUntil(async () => (await openCount()) === 0, Math.min(40_000, Math.max(1000, left() - 15_000)), 100);
      const terminalSeen = new Set<string>();
      webhooksSettled = await waitUntil(
        async () => {
          const more = await fetchReceived(receiver.url, deliveries.length);
          deliveries = deliveries.concat(more);
          for (const d of more) if (TERMINAL_TYPES.has(d.type)) terminalSeen.add(d.job);
          return [...accepted.keys()].every((id) => terminalSeen.has(id));
        },
        Math.min(20_000, Math.max(1000, left() - 8_000)),
        100,
      );
      // A short quiet period, so late duplicates are counted too.
      await sleep(300);
      deliveries = deliveries.concat(await fetchReceived(receiver.url, deliveries.length));
      checks = await checkJobs(pool, accepted);
    } finally {
      await pool.close();
    }
  } finally {
    await stopAll(servers);
    removeTempDir(dataDir);
  }
  clearTimeout(watchdog);

  // Deliveries: dedupe by webhook-id, keeping the first arrival.
  const firstById = new Map<string, Delivery>();
  const duplicatesByType: Record<string, number> = {};
  let badSignatures = 0;
  for (const d of deliveries) {
    if (!d.signatureOk) badSignatures++;
    if (firstById.has(d.id)) duplicatesByType[d.type] = (duplicatesByType[d.type] ?? 0) + 1;
    else firstById.set(d.id, d);
  }
  const byJob = new Map<string, Delivery[]>();
  for (const d of firstById.values()) byJob.set(d.job, [...(byJob.get(d.job) ?? []), d]);

  const lost = checks.filter((c) => c.status !== 200);
  const notTerminal = checks.filter((c) => c.status === 200 && !TERMINAL_STATES.has(c.state ?? ''));
  const missingTerminal: JobCheck[] = [];
  const multipleTerminal: string[] = [];
  const wrongTerminal: string[] = [];
  const outOfOrder: string[] = [];
  let missingQueued = 0;
  const finalStates: Record<string, number> = {};
  for (const c of checks) {
    if (c.state) finalStates[c.state] = (finalStates[c.state] ?? 0) + 1;
    const events = (byJob.get(c.id) ?? []).sort((a, b) => a.arrivedAt - b.arrivedAt);
    const terminal = events.filter((d) => TERMINAL_TYPES.has(d.type));
    if (terminal.length === 0) missingTerminal.push(c);
    if (terminal.length > 1) multipleTerminal.push(`${c.id} (${terminal.map((d) => `${d.type} ${d.id}`).join(', ')})`);
    if (terminal.length === 1 && c.state && terminal[0]!.type !== `job.${c.state}`)
      wrongTerminal.push(`${c.id}: webhook ${terminal[0]!.type}, job ${c.state}`);
    if (!events.some((d) => d.type === 'job.queued')) missingQueued++;
    // Per-job order (ADR-0005): queued first, terminal last.
    const types = events.map((d) => d.type);
    const firstTerminal = types.findIndex((t) => TERMINAL_TYPES.has(t));
    if (events.length && (types[0] !== 'job.queued' || (firstTerminal !== -1 && firstTerminal !== types.length - 1))) {
      outOfOrder.push(`${c.id}: ${types.join(' → ')}`);
    }
  }
  const duplicates = Object.values(duplicatesByType).reduce((a, b) => a + b, 0);

  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\n== crash-loop: ${ROUNDS} rounds of ${BATCH} jobs on one data dir, kill -9 0–${MAX_KILL_DELAY_MS} ms after each batch, then one clean start (${fixed(seconds, 1)} s) ==`,
  );
  console.log(`seed ${seed}; simulator --load-ms 5 --tokens-per-sec 400, 10 tokens per job; foreman --webhook-retries 100ms,100ms`);
  console.log(
    table(
      ['round', 'accepted', 'refused', 'kill after ms', 'start ms'],
      rounds.map((r) => [r.round, r.accepted, r.refused, r.killDelayMs, fixed(r.startMs, 0)]),
    ),
  );
  console.log(`\njobs accepted (202): ${accepted.size}`);
  console.log(`jobs present in the final store: ${checks.length - lost.length}`);
  console.log(`jobs lost: ${lost.length}`);
  console.log(`jobs not terminal: ${notTerminal.length}${settled ? '' : ' (timed out waiting for the queue to drain)'}`);
  console.log(
    `final states: ${Object.entries(finalStates)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}; started more than once: ${checks.filter((c) => c.attempts > 1).length}`,
  );
  console.log(`terminal webhooks missing: ${missingTerminal.length}${webhooksSettled ? '' : ' (timed out waiting for them)'}`);
  console.log(`jobs with more than one distinct terminal webhook: ${multipleTerminal.length}`);
  console.log(`terminal webhook type ≠ final state: ${wrongTerminal.length}`);
  console.log(`job.queued webhooks missing: ${missingQueued}`);
  console.log(`per-job order violations: ${outOfOrder.length}`);
  console.log(
    `deliveries received: ${deliveries.length}, distinct webhook-ids: ${firstById.size}, at-least-once duplicates: ${duplicates}` +
      (duplicates
        ? ` (${Object.entries(duplicatesByType)
            .map(([t, n]) => `${t} ${n}`)
            .join(', ')})`
        : ''),
  );
  console.log(`bad signatures: ${badSignatures}`);

  const show = (label: string, items: string[]) => {
    for (const item of items.slice(0, 10)) console.log(`  ${label}: ${item}`);
    if (items.length > 10) console.log(`  … and ${items.length - 10} more`);
  };
  show(
    'lost',
    lost.map((c) => `${c.id} (round ${c.round}, GET → ${c.status})`),
  );
  show(
    'not terminal',
    notTerminal.map((c) => `${c.id} (round ${c.round}, ${c.state})`),
  );
  show(
    'terminal webhook missing',
    missingTerminal.map(
      (c) => `${c.id} (round ${c.round}, ${c.state}; got ${(byJob.get(c.id) ?? []).map((d) => d.type).join(', ') || 'nothing'})`,
    ),
  );
  show('several terminal webhooks', multipleTerminal);
  show('wrong terminal webhook', wrongTerminal);
  show('out of order', outOfOrder);

  const failed =
    lost.length +
    notTerminal.length +
    missingTerminal.length +
    multipleTerminal.length +
    wrongTerminal.length +
    outOfOrder.length +
    badSignatures;
  if (failed) {
    console.log(`FAILED (seed ${seed}): reproduce with BENCH_SEED=${seed} npx tsx bench/crash-loop.ts`);
    process.exitCode = 1;
  } else {
    console.log('every accepted job survived, ended, and had its terminal webhook delivered');
  }
}

await main();
