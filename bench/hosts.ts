/**
 * Several Ollama hosts behind one foreman (`--upstream A,B`), each workload against its baseline in the
 * same run, every simulator a fresh process of its own:
 *
 * - spread: 4 models, room for one loaded model per host, 96 interleaved chats. foreman in front of two
 *   hosts against foreman in front of one (same simulator settings): makespan ≥ 1.8× shorter, and at
 *   most 8 loads summed over both simulators.
 * - one-model: one model, 64 chats 2 ms apart, NUM_PARALLEL 1 (`--parallel 1`). Throughput (requests/s
 *   over the makespan) through two hosts against one: ≥ 1.7×. A 150 ms load against ~110 ms answers:
 *   foreman loads the second host once 4 jobs wait, and 64 pay for that load many times over.
 * - failover: 200 `/jobs` with webhooks and 50 passthrough streams over two hosts; one simulator is
 *   killed with SIGKILL in the middle, and brought back on the same port at the end. Accepted jobs lost
 *   0 (each ends succeeded, or failed with a reason), terminal webhooks missing 0, streams that had not
 *   started before the kill all succeed; streams that were running on the killed host end with an
 *   error line or a cut (allowed, and reported); foreman marks the host down, and up again once back.
 *
 * Before timing spread and one-model, each simulator and foreman answer one chat of a model the
 * workload does not use (keep_alive 0): a freshly started simulator's first answer came 150–400 ms late
 * here, a cold start a long-running Ollama does not have, which swung the spread ratio from 1.66 to 2.44.
 * Routing decision cost (8 hosts, 32 lanes) is bench/routing.ts.
 *
 * `npm run -s build && npx tsx bench/hosts.ts` — env BENCH_ONLY=spread|one-model|failover,
 * BENCH_REPS (trials of spread and one-model, default 1; each has its verdicts, any miss exits 1),
 * BENCH_FOREMAN_BIN (another build).
 */
import { Pool } from 'undici';
import { stopAll, type Server } from './processes.js';
import { envInt, fixed, table, verdict } from './report.js';
import { startForeman, startReceiver, startSim, type SimFlags } from './servers.js';
import {
  JSON_HEADERS,
  MODEL,
  TERMINAL_STATES,
  TERMINAL_TYPES,
  fetchReceived,
  jobFlags,
  newSecret,
  submitBody,
  waitUntil,
  type Delivery,
} from './jobs-client.js';

const REPS = envInt('BENCH_REPS', 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - performance.now()));

interface SimStats {
  loads: number;
  loadsByModel: Record<string, number>;
  completed: number;
  log: { startedAt?: number; endedAt?: number }[];
}

async function simStats(simUrl: string): Promise<SimStats> {
  return (await (await fetch(`${simUrl}/__sim/stats`)).json()) as SimStats;
}

/** From a simulator's request log: the mean time an answer held its slot, and the idle gaps between answers (parallel 1). */
function service(log: SimStats['log']): { answerMs: number; gapMs: number } {
  const ran = log.filter((e) => e.startedAt !== undefined && e.endedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt!);
  let busy = 0;
  let gaps = 0;
  ran.forEach((e, i) => {
    busy += e.endedAt! - e.startedAt!;
    if (i > 0) gaps += Math.max(0, e.startedAt! - ran[i - 1]!.endedAt!);
  });
  return { answerMs: ran.length ? busy / ran.length : NaN, gapMs: gaps };
}

interface HostRow {
  id: string;
  state: string;
  running: number;
}

async function queueHosts(foremanUrl: string): Promise<HostRow[]> {
  return ((await (await fetch(`${foremanUrl}/foreman/queue`)).json()) as { hosts: HostRow[] }).hosts;
}

// ---------------------------------------------------------------------------------------------------
// spread and one-model: a fixed timetable of non-streamed chats, makespan from the first send to the
// last answer, loads from the simulators.

interface Chat {
  model: string;
  at: number;
  tokens: number;
}

interface Trial {
  makespanMs: number;
  loads: number;
  /** Per simulator: `model:loads …`, and how many answers it gave. */
  perHost: string[];
  /** Per host, from foreman's history: the runs of one model in start order, `model ×jobs start–end ms`. */
  order: string[];
  failures: string[];
}

/** Each host's runs of one model, in the order foreman started them, from its own job history. */
async function hostOrder(foremanUrl: string, t0Wall: number): Promise<string[]> {
  const rows = (
    (await (await fetch(`${foremanUrl}/foreman/jobs?source=passthrough&limit=500`)).json()) as {
      jobs: { model: string; host: string | null; started_at: number | null; finished_at: number | null }[];
    }
  ).jobs
    .filter((r) => r.started_at !== null && !r.model.startsWith('warmup-'))
    .sort((a, b) => a.started_at! - b.started_at!);
  const byHost = new Map<string, { model: string; n: number; start: number; end: number }[]>();
  for (const r of rows) {
    const runs = byHost.get(r.host ?? '?') ?? [];
    byHost.set(r.host ?? '?', runs);
    const last = runs.at(-1);
    const at = Math.max(0, r.started_at! - t0Wall);
    const end = (r.finished_at ?? r.started_at!) - t0Wall;
    if (last && last.model === r.model) {
      last.n++;
      last.end = Math.max(last.end, end);
    } else runs.push({ model: r.model.replace(/:latest$/, ''), n: 1, start: at, end });
  }
  return [...byHost].map(
    ([host, runs]) => `${host}: ${runs.map((x) => `${x.model} ×${x.n} ${fixed(x.start, 0)}–${fixed(x.end, 0)}`).join(', ')}`,
  );
}

async function trial(hosts: number, sim: SimFlags, chats: Chat[]): Promise<Trial> {
  const servers: Server[] = [];
  try {
    const sims: Server[] = [];
    const warmModels = Array.from({ length: hosts }, (_, i) => `warmup-${i}`);
    for (let i = 0; i < hosts; i++) sims.push(await startSim({ ...sim, models: [...sim.models, ...warmModels] }));
    servers.push(...sims);
    const foreman = await startForeman(sims.map((s) => s.url).join(','));
    servers.push(foreman);
    // A freshly started process answers its first chat slowly (a cold start, up to a few hundred ms here,
    // that a long-running Ollama does not have): each simulator answers one chat directly, then foreman one
    // per host, for models the workload does not use, with keep_alive 0 so nothing stays loaded.
    const warm = (url: string, model: string) =>
      fetch(`${url}/api/chat`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'warm up [[sim:tokens=1]]' }], stream: false, keep_alive: 0 }),
      }).then((r) => r.text());
    await Promise.all(sims.map((s, i) => warm(s.url, warmModels[i]!)));
    await Promise.all(warmModels.map((m) => warm(foreman.url, m)));
    await waitUntil(async () => {
      const held = await Promise.all(
        sims.map(async (s) => ((await (await fetch(`${s.url}/api/ps`)).json()) as { models: unknown[] }).models.length),
      );
      return held.every((n) => n === 0) && (await queueHosts(foreman.url)).every((h) => h.state === 'up');
    }, 5000);
    const before = await Promise.all(sims.map((s) => simStats(s.url)));
    const pool = new Pool(foreman.url, { connections: chats.length });
    const failures: string[] = [];
    const t0 = performance.now() + 20;
    const t0Wall = performance.timeOrigin + t0;
    let lastAnswer = t0;
    try {
      await Promise.all(
        chats.map(async (c, i) => {
          await sleepUntil(t0 + c.at);
          const res = await pool.request({
            path: '/api/chat',
            method: 'POST',
            headers: JSON_HEADERS,
            body: JSON.stringify({
              model: c.model,
              messages: [{ role: 'user', content: `request ${i} [[sim:tokens=${c.tokens}]]` }],
              stream: false,
            }),
          });
          const text = await res.body.text();
          lastAnswer = Math.max(lastAnswer, performance.now());
          if (res.statusCode !== 200) failures.push(`#${i} ${c.model}: HTTP ${res.statusCode} ${text.slice(0, 120)}`);
        }),
      );
    } finally {
      await pool.close();
    }
    const after = await Promise.all(sims.map((s) => simStats(s.url)));
    const perHost = after.map((a, i) => {
      const b = before[i]!;
      const byModel = Object.entries(a.loadsByModel)
        .map(([m, n]) => [m.replace(/:latest$/, ''), n - (b.loadsByModel[m] ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .map(([m, n]) => `${m}:${n}`)
        .join(' ');
      const { answerMs, gapMs } = service(a.log.slice(b.log.length));
      return `${byModel || 'no loads'} (${a.completed - b.completed} answers, ${fixed(answerMs, 0)} ms each, ${fixed(gapMs, 0)} ms between answers, switches included)`;
    });
    // History is written behind (within 10 ms): give it a moment.
    await sleep(100);
    const order = await hostOrder(foreman.url, t0Wall);
    return { makespanMs: lastAnswer - t0, loads: after.reduce((n, a, i) => n + a.loads - before[i]!.loads, 0), perHost, order, failures };
  } finally {
    await stopAll(servers);
  }
}

interface Paired {
  name: string;
  describe: string;
  sim: SimFlags;
  chats: Chat[];
  /** Per trial pair: the figure compared, and the lines with their verdicts. */
  check(one: Trial, two: Trial): { ratio: number; lines: { line: string; ok: boolean }[] };
  ratioLabel: string;
}

const SPREAD_MODELS = ['llama3.2', 'qwen3:0.6b', 'gemma3:1b', 'mistral'];
const PAIRED: Paired[] = [
  {
    name: 'spread',
    describe: `96 /api/chat 5 ms apart, round-robin over ${SPREAD_MODELS.length} models, room for 1 loaded model per host, 150 ms loads, 4 tokens (~22 ms) per answer, ~35 ms for qwen3, which also thinks`,
    sim: { models: SPREAD_MODELS, loadMs: 150, tokensPerSec: 200, maxLoaded: 1, parallel: 1 },
    chats: Array.from({ length: 96 }, (_, i) => ({ model: SPREAD_MODELS[i % SPREAD_MODELS.length]!, at: i * 5, tokens: 4 })),
    ratioLabel: 'makespan one host / two hosts',
    check: (one, two) => {
      const ratio = one.makespanMs / two.makespanMs;
      return {
        ratio,
        lines: [
          { line: `makespan one host / two hosts ${fixed(ratio)}× (target ≥ 1.8)`, ok: ratio >= 1.8 },
          { line: `loads with two hosts ${two.loads} (one host ${one.loads}; target ≤ 8)`, ok: two.loads <= 8 },
        ],
      };
    },
  },
  {
    name: 'one-model',
    describe:
      '64 /api/chat for one model, 2 ms apart, --parallel 1 (NUM_PARALLEL 1), 150 ms loads, 10 tokens at 100/s (~110 ms) per answer',
    sim: { models: ['llama3.2'], loadMs: 150, tokensPerSec: 100, maxLoaded: 1, parallel: 1 },
    chats: Array.from({ length: 64 }, (_, i) => ({ model: 'llama3.2', at: i * 2, tokens: 10 })),
    ratioLabel: 'throughput two hosts / one host',
    check: (one, two) => {
      const ratio = one.makespanMs / two.makespanMs;
      return {
        ratio,
        lines: [
          {
            line: `throughput two hosts / one host ${fixed(ratio)}× (${fixed(64_000 / two.makespanMs, 1)} vs ${fixed(64_000 / one.makespanMs, 1)} requests/s; target ≥ 1.7)`,
            ok: ratio >= 1.7,
          },
        ],
      };
    },
  },
];

async function runPaired(w: Paired): Promise<boolean> {
  const rows: (string | number)[][] = [];
  const ratios: number[] = [];
  const failures: string[] = [];
  const verdicts = new Map<number, { line: string; ok: boolean }[]>();
  const orders: string[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    const one = await trial(1, w.sim, w.chats);
    const two = await trial(2, w.sim, w.chats);
    for (const [label, t] of [
      ['one host', one],
      ['two hosts', two],
    ] as const) {
      rows.push([
        `${REPS > 1 ? `#${rep} ` : ''}${label}`,
        fixed(t.makespanMs, 0),
        fixed((w.chats.length * 1000) / t.makespanMs, 1),
        t.loads,
        t.failures.length,
        t.perHost.join(' | '),
      ]);
      failures.push(...t.failures);
    }
    orders.push(...two.order.map((o) => `${REPS > 1 ? `#${rep} ` : ''}two hosts, ${o}`));
    const c = w.check(one, two);
    ratios.push(c.ratio);
    verdicts.set(rep, c.lines);
  }
  console.log(`\n== ${w.name}: ${w.describe} ==`);
  console.log(table(['run', 'makespan ms', 'requests/s', 'loads', 'failed', 'loads by model per host (answers)'], rows));
  console.log('order per host (model ×jobs, first start–last end in ms from the first send):');
  for (const o of orders) console.log(`  ${o}`);
  for (const f of failures.slice(0, 5)) console.log(`  failed: ${f}`);
  let ok = failures.length === 0;
  for (const [rep, lines] of verdicts) {
    for (const c of lines) {
      console.log(`${REPS > 1 ? `#${rep} ` : ''}${c.line} → ${verdict(c.ok)}`);
      ok &&= c.ok;
    }
  }
  if (REPS > 1) console.log(`${w.ratioLabel}: ${fixed(Math.min(...ratios))}–${fixed(Math.max(...ratios))}× over ${REPS} trials`);
  return ok;
}

// ---------------------------------------------------------------------------------------------------
// failover

const JOBS = 200;
const STREAMS = 50;
/** Streams go out this far apart from the start, whatever happens; the kill comes after the middle one. */
const STREAM_PACE_MS = 100;
/** The kill: this long after stream STREAMS / 2 was sent, so the streams sent just before it are mid-answer. */
const KILL_AFTER_MIDDLE_MS = 250;
const FAILOVER_SIM: SimFlags = { models: [MODEL], loadMs: 100, tokensPerSec: 100, maxLoaded: 1, parallel: 4 };
/** ~0.1 s per job, ~0.3 s per stream: about 3 streams in flight at a time, the other slots run jobs. */
const JOB_TOKENS = 10;
const STREAM_TOKENS = 30;

interface StreamResult {
  i: number;
  sentAt: number;
  /** When the response head arrived (foreman sends it when the host's does), if it did. */
  headAt: number | null;
  endedAt: number;
  status: number | null;
  ending: 'complete' | 'error line' | 'cut' | 'refused';
  detail: string;
  host: string | null;
}

async function stream(pool: Pool, i: number): Promise<StreamResult> {
  const sentAt = performance.now();
  let headAt: number | null = null;
  let status: number | null = null;
  let text = '';
  try {
    const res = await pool.request({
      path: '/api/chat',
      method: 'POST',
      headers: { ...JSON_HEADERS, 'user-agent': `bench-hosts-stream-${i}` },
      body: JSON.stringify({
        model: MODEL,
        messages: [{ role: 'user', content: `stream ${i} [[sim:tokens=${STREAM_TOKENS}]]` }],
        stream: true,
      }),
    });
    headAt = performance.now();
    status = res.statusCode;
    for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return {
      i,
      sentAt,
      headAt,
      endedAt: performance.now(),
      status,
      ending: headAt === null ? 'refused' : 'cut',
      detail: e.code ?? e.message ?? String(err),
      host: null,
    };
  }
  const lines = text.split('\n').filter(Boolean);
  const last = lines.at(-1) ?? '';
  let parsed: { done?: boolean; error?: string } = {};
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    /* a cut line */
  }
  const ending = status === 200 && parsed.done === true ? 'complete' : parsed.error !== undefined ? 'error line' : 'cut';
  return {
    i,
    sentAt,
    headAt,
    endedAt: performance.now(),
    status,
    ending,
    detail: parsed.error ?? (ending === 'cut' ? `${lines.length} lines, no done` : ''),
    host: null,
  };
}

async function submitJobs(pool: Pool, hook: string): Promise<{ ids: string[]; refused: string[] }> {
  const ids: string[] = [];
  const refused: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < JOBS) {
        const i = next++;
        const res = await pool.request({
          path: '/jobs',
          method: 'POST',
          headers: JSON_HEADERS,
          body: submitBody(hook, i, JOB_TOKENS, 'hosts'),
        });
        const text = await res.body.text();
        if (res.statusCode === 202) ids.push((JSON.parse(text) as { id: string }).id);
        else refused.push(`submit ${i}: ${res.statusCode} ${text.slice(0, 120)}`);
      }
    }),
  );
  return { ids, refused };
}

async function failover(): Promise<boolean> {
  const secret = newSecret();
  const servers: Server[] = [];
  const sims: (Server | null)[] = [];
  let ok = true;
  try {
    for (let i = 0; i < 2; i++) sims.push(await startSim(FAILOVER_SIM));
    servers.push(...(sims as Server[]));
    const receiver = await startReceiver(secret);
    servers.push(receiver);
    const foreman = await startForeman(sims.map((s) => s!.url).join(','), [
      '--concurrency',
      String(FAILOVER_SIM.parallel),
      ...jobFlags(secret),
    ]);
    servers.push(foreman);
    await waitUntil(async () => (await queueHosts(foreman.url)).every((h) => h.state === 'up'), 5000);
    const hostIds = (await queueHosts(foreman.url)).map((h) => h.id);

    // Host states as foreman reports them, polled every 50 ms: when the killed host went down and came back.
    const states: { at: number; hosts: HostRow[] }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          states.push({ at: performance.now(), hosts: await queueHosts(foreman.url) });
        } catch {
          /* foreman busy: the next poll */
        }
        await sleep(50);
      }
    })();

    const jobsPool = new Pool(foreman.url, { connections: 16 });
    const streamPool = new Pool(foreman.url, { connections: STREAMS });
    const t0 = performance.now();
    const streams = Array.from({ length: STREAMS }, (_, i) => sleepUntil(t0 + i * STREAM_PACE_MS).then(() => stream(streamPool, i)));
    const submitted = await submitJobs(jobsPool, `${receiver.url}/hook`);
    const submitMs = performance.now() - t0;

    let deliveries: Delivery[] = [];
    const terminal = new Set<string>();
    const pollDeliveries = async () => {
      const more = await fetchReceived(receiver.url, deliveries.length);
      deliveries = deliveries.concat(more);
      for (const d of more) if (TERMINAL_TYPES.has(d.type)) terminal.add(d.job);
    };
    await sleepUntil(t0 + (STREAMS / 2) * STREAM_PACE_MS + KILL_AFTER_MIDDLE_MS);
    await pollDeliveries();
    // The host running more streams goes (then more work of any kind).
    const atKill = await queueHosts(foreman.url);
    const snapshot = (await (await fetch(`${foreman.url}/foreman/queue`)).json()) as {
      lanes: { running: { source: string; host?: string | null }[] }[];
    };
    const streamsOn = (id: string) =>
      snapshot.lanes.flatMap((l) => l.running).filter((r) => r.source === 'passthrough' && r.host === id).length;
    const weight = (i: number) => streamsOn(hostIds[i]!) * 1000 + (atKill[i]?.running ?? 0);
    const victimIndex = weight(1) > weight(0) ? 1 : 0;
    const victimId = hostIds[victimIndex]!;
    const victimPort = Number(new URL(sims[victimIndex]!.url).port);
    const jobsEndedAtKill = terminal.size;
    const runningAtKill = atKill.map((h) => `${h.id} ${h.running} (${streamsOn(h.id)} streams)`).join(', ');
    const killAt = performance.now();
    await sims[victimIndex]!.kill();
    sims[victimIndex] = null;

    const results = await Promise.all(streams);
    const settled = await waitUntil(
      async () => {
        await pollDeliveries();
        return submitted.ids.every((id) => terminal.has(id));
      },
      60_000,
      100,
    );
    await sleep(300);
    await pollDeliveries();
    const allDoneAt = performance.now();

    // Each job's own record.
    const finalStates: Record<string, number> = {};
    const lost: string[] = [];
    const notTerminal: string[] = [];
    const failedReasons: string[] = [];
    let rerun = 0;
    for (let i = 0; i < submitted.ids.length; i += 16) {
      await Promise.all(
        submitted.ids.slice(i, i + 16).map(async (id) => {
          const res = await jobsPool.request({ path: `/jobs/${id}`, method: 'GET' });
          const body = (await res.body.json()) as { state?: string; attempts?: number; error?: string | null };
          if (res.statusCode !== 200) return void lost.push(`${id}: GET → ${res.statusCode}`);
          finalStates[body.state ?? '?'] = (finalStates[body.state ?? '?'] ?? 0) + 1;
          if (!TERMINAL_STATES.has(body.state ?? '')) notTerminal.push(`${id}: ${body.state}`);
          if (body.state === 'failed') failedReasons.push(`${id}: ${body.error ?? 'no reason given'}`);
          if ((body.attempts ?? 0) > 1) rerun++;
        }),
      );
    }
    const terminalMissing = submitted.ids.filter((id) => !terminal.has(id));
    // Which host each stream last went to, from foreman's history (its user agent names it).
    const hist = (await (await fetch(`${foreman.url}/foreman/jobs?source=passthrough&limit=500`)).json()) as {
      jobs: { client: string | null; host: string | null }[];
    };
    for (const row of hist.jobs) {
      const m = /bench-hosts-stream-(\d+)/.exec(row.client ?? '');
      const r = m ? results[Number(m[1])] : undefined;
      if (r) r.host = row.host;
    }

    // Bring the host back on its port: foreman must mark it up again.
    const downAt = states.find((s) => s.at > killAt && s.hosts.find((h) => h.id === victimId)?.state === 'down')?.at ?? null;
    const restartAt = performance.now();
    const revived = await startSim(FAILOVER_SIM, victimPort);
    sims[victimIndex] = revived;
    servers.push(revived);
    const backUp = await waitUntil(async () => (await queueHosts(foreman.url)).find((h) => h.id === victimId)?.state === 'up', 15_000, 50);
    const upAfterMs = performance.now() - restartAt;
    polling = false;
    await poller;
    await jobsPool.close();
    await streamPool.close();

    // Streams by when they started relative to the kill and where they ran.
    // Started: the answer had begun before the kill. The client may read a head that was already on its
    // way only after the kill (this process is busy too), but a mid-answer error from the killed host is
    // proof the host had begun answering: a dead host sends nothing.
    const victimOrigin = new URL(`http://${victimId}`).origin;
    const brokeOnVictim = (r: StreamResult) =>
      r.ending !== 'complete' && r.headAt !== null && r.detail.includes(victimOrigin) && r.detail.includes('in the middle of its answer');
    const startedBefore = (r: StreamResult) => (r.headAt !== null && r.headAt < killAt) || brokeOnVictim(r);
    const lateHeads = results.filter((r) => brokeOnVictim(r) && r.headAt! >= killAt);
    const running = results.filter((r) => startedBefore(r) && r.endedAt >= killAt);
    const runningOnVictim = running.filter((r) => r.host === victimId);
    const notStarted = results.filter((r) => !startedBefore(r));
    const waitingAtKill = notStarted.filter((r) => r.sentAt < killAt);
    const notStartedFailed = notStarted.filter((r) => r.ending !== 'complete');
    const finishedBefore = results.filter((r) => startedBefore(r) && r.endedAt < killAt);
    const count = (rs: StreamResult[]) => {
      const by: Record<string, number> = {};
      for (const r of rs) by[r.ending] = (by[r.ending] ?? 0) + 1;
      return (
        Object.entries(by)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      );
    };

    console.log(
      `\n== failover: ${JOBS} /jobs (webhooks) and ${STREAMS} passthrough streams over two hosts, one killed (SIGKILL) in the middle ==`,
    );
    console.log(
      `simulators --load-ms ${FAILOVER_SIM.loadMs} --tokens-per-sec ${FAILOVER_SIM.tokensPerSec} --parallel ${FAILOVER_SIM.parallel}; foreman --concurrency ${FAILOVER_SIM.parallel}; jobs ${JOB_TOKENS} tokens (all submitted at once, 16 connections), /api/chat streams ${STREAM_TOKENS} tokens, one every ${STREAM_PACE_MS} ms from the start`,
    );
    console.log(
      `jobs submitted in ${fixed(submitMs, 0)} ms; killed ${victimId} at ${fixed((killAt - t0) / 1000, 2)} s with ${jobsEndedAtKill}/${JOBS} jobs ended; running then: ${runningAtKill}`,
    );
    console.log(
      `foreman marked ${victimId} down ${downAt === null ? 'never (within the run)' : `${fixed(downAt - killAt, 0)} ms after the kill`}; every job ended ${fixed((allDoneAt - t0) / 1000, 2)} s after the start`,
    );
    console.log(
      table(
        ['jobs', 'count'],
        [
          ['accepted (202)', submitted.ids.length],
          ['refused', submitted.refused.length],
          ['lost (not found)', lost.length],
          ['not terminal', notTerminal.length],
          ['succeeded', finalStates.succeeded ?? 0],
          ['failed (with a reason)', finalStates.failed ?? 0],
          ['started more than once', rerun],
          ['terminal webhooks missing', terminalMissing.length],
        ],
      ),
    );
    console.log(
      table(
        ['streams', 'count', 'ended'],
        [
          ['finished before the kill', finishedBefore.length, count(finishedBefore)],
          ['running at the kill, on the killed host', runningOnVictim.length, count(runningOnVictim)],
          [
            'running at the kill, on the other host',
            running.length - runningOnVictim.length,
            count(running.filter((r) => r.host !== victimId)),
          ],
          ['not started before the kill: sent, waiting', waitingAtKill.length, count(waitingAtKill)],
          [
            'not started before the kill: sent after it',
            notStarted.length - waitingAtKill.length,
            count(notStarted.filter((r) => r.sentAt >= killAt)),
          ],
        ],
      ),
    );
    if (lateHeads.length)
      console.log(
        `  ${lateHeads.length} of the streams running on ${victimId} had their head read here only after the kill (${lateHeads.map((r) => `+${fixed(r.headAt! - killAt, 0)} ms`).join(', ')}), then the killed host's mid-answer error: they had started`,
      );
    for (const r of runningOnVictim.slice(0, 3))
      console.log(`  stream ${r.i} on ${victimId}: ${r.ending}${r.detail ? ` (${r.detail.slice(0, 160)})` : ''}`);
    for (const r of notStartedFailed.slice(0, 5))
      console.log(`  not started, failed: stream ${r.i}: ${r.ending} HTTP ${r.status} ${r.detail.slice(0, 160)}`);
    for (const f of [...submitted.refused, ...lost, ...notTerminal, ...failedReasons].slice(0, 10)) console.log(`  ${f}`);
    console.log(
      `${victimId} back on port ${victimPort}: foreman marked it up ${backUp ? `${fixed(upAfterMs, 0)} ms after the restart` : 'never within 15 s'}`,
    );

    const checks = [
      {
        line: `accepted jobs lost ${lost.length + notTerminal.length} (${finalStates.succeeded ?? 0} succeeded, ${finalStates.failed ?? 0} failed with a reason; target 0)`,
        ok: lost.length + notTerminal.length === 0 && submitted.refused.length === 0 && settled,
      },
      { line: `terminal webhooks missing ${terminalMissing.length} (target 0)`, ok: terminalMissing.length === 0 },
      {
        line: `streams not started before the kill that did not succeed: ${notStartedFailed.length} of ${notStarted.length} (target 0)`,
        ok: notStartedFailed.length === 0,
      },
      { line: `killed host marked up again after its restart: ${backUp ? 'yes' : 'no'}`, ok: backUp },
    ];
    for (const c of checks) {
      console.log(`${c.line} → ${verdict(c.ok)}`);
      ok &&= c.ok;
    }
  } finally {
    await stopAll(servers);
  }
  return ok;
}

const only = process.env.BENCH_ONLY;
let allOk = true;
for (const w of PAIRED) if (!only || only === w.name) allOk = (await runPaired(w)) && allOk;
if (!only || only === 'failover') allOk = (await failover()) && allOk;
if (!allOk) process.exitCode = 1;
