/**
 * foreman's own per-request bookkeeping, one part at a time, in one process with a warm JIT: what the
 * passthrough does for one small non-streamed `/api/chat` besides HTTP (guard, body decode, job id,
 * runner key, store write-behind, board, scheduler, transcript, metrics). It complements the CPU
 * profile (`bench/profile-summary.ts`), which cannot split a few µs between neighbours, and shows
 * what a change to one part saves before the noisy end-to-end benchmark is run.
 *
 * `npm run build && npx tsx bench/request-parts.ts` — env BENCH_N (requests per part, default 50000),
 * BENCH_DIST (the build to measure, default dist/).
 * Figures are µs per request, best of 5 runs; real requests pay more (cold caches between them).
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { Dispatcher } from 'undici';
import type { JobRow } from '../shared/api.js';
import { ROOT } from './processes.js';
import { envInt, fixed, table } from './report.js';

// The built modules, as foreman runs them: tsx's own transform adds work (function names) that tsc's
// output does not have. BENCH_DIST compares another build.
const dist = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'));
const load = <T>(module: string): Promise<T> => import(path.join(dist, module)) as Promise<T>;
const { createSafetyHook, DEFAULT_ALLOWED_ORIGINS } = await load<typeof import('../main/server/safety.js')>('main/server/safety.js');
const { decodeGoJson } = await load<typeof import('../main/ollama/go-json.js')>('main/ollama/go-json.js');
const { newJobId } = await load<typeof import('../main/core/ids.js')>('main/core/ids.js');
const { runnerOf } = await load<typeof import('../main/scheduler/runner-key.js')>('main/scheduler/runner-key.js');
const { chooseKeepAlive, HOLD_MS } = await load<typeof import('../main/scheduler/keep-alive-hold.js')>('main/scheduler/keep-alive-hold.js');
const { createScheduler } = await load<typeof import('../main/scheduler/scheduler.js')>('main/scheduler/scheduler.js');
const { createEventHub } = await load<typeof import('../main/core/event-hub.js')>('main/core/event-hub.js');
const { createJobBoard } = await load<typeof import('../main/core/job-board.js')>('main/core/job-board.js');
const { createMetrics } = await load<typeof import('../main/core/metrics.js')>('main/core/metrics.js');
const { openStore } = await load<typeof import('../main/store/store.js')>('main/store/store.js');
const { answeredOutcome } = await load<typeof import('../main/core/upstream-call.js')>('main/core/upstream-call.js');
const { pickFigures } = await load<typeof import('../shared/types.js')>('shared/types.js');

const N = envInt('BENCH_N', 50_000);
const BODY = Buffer.from(
  JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi [[sim:tokens=1]]' }], stream: false }),
);
const ANSWER = Buffer.from(
  JSON.stringify({
    model: 'llama3.2',
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: 'Hello' },
    done_reason: 'stop',
    done: true,
    total_duration: 1234567,
    load_duration: 123456,
    prompt_eval_count: 5,
    prompt_eval_duration: 12345,
    eval_count: 1,
    eval_duration: 12345,
  }),
);
const UPSTREAM = { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' } } as unknown as Dispatcher.ResponseData;

async function timeIt(run: (n: number) => void | Promise<void>): Promise<number> {
  await run(Math.min(N, 5000)); // warm-up
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await run(N);
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1000) / N;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'foreman-parts-'));
const store = openStore({ file: path.join(dir, 'foreman.db') });
const hub = createEventHub();
const scheduler = createScheduler({ holdMs: HOLD_MS });
const metrics = createMetrics({ scheduler, models: { label: (m: string) => m } });
const board = createJobBoard({ hub, onFinished: (row) => metrics.onFinished(row) });
const hook = createSafetyHook({ checkHost: true, allowedOrigins: DEFAULT_ALLOWED_ORIGINS });
const request = { headers: { host: '127.0.0.1:11435', 'content-type': 'application/json', 'content-length': '96' } };
const noop = () => {};

const rows: (string | number)[][] = [];
const part = async (name: string, run: (n: number) => void | Promise<void>) => rows.push([name, fixed(await timeIt(run), 2)]);

await part('safety hook (Host check)', (n) => {
  for (let i = 0; i < n; i++) hook(request as never, {} as never, noop);
});
await part('body: toString + decodeGoJson', (n) => {
  for (let i = 0; i < n; i++) decodeGoJson(BODY.toString('utf8'));
});
await part('job id', (n) => {
  for (let i = 0; i < n; i++) newJobId();
});
await part('runner key', (n) => {
  for (let i = 0; i < n; i++) runnerOf('llama3.2', undefined);
});

const rowOf = (id: string, now: number): JobRow => ({
  id,
  source: 'passthrough',
  route: '/api/chat',
  api: 'chat',
  model: 'llama3.2:latest',
  lane: 'llama3.2:latest',
  state: 'queued',
  priority: 0,
  stream: false,
  client: '127.0.0.1 undici',
  created_at: now,
  started_at: null,
  finished_at: null,
  status_code: null,
  error: null,
});
await part('board: add, update, chunk, bytes, finish (+ metrics)', (n) => {
  for (let i = 0; i < n; i++) {
    const id = `job_${i}`;
    const now = Date.now();
    board.add(rowOf(id, now), 'native', noop);
    board.update(id, { state: 'working', started_at: now });
    board.onCancel(id, noop);
    board.chunk(id, ANSWER);
    board.bytes(id);
    board.finish(id, {
      state: 'succeeded',
      finished_at: now,
      status_code: 200,
      error: null,
      total_duration: 1234567,
      load_duration: 123456,
      eval_count: 1,
      eval_duration: 12345,
    });
  }
});
await part('metrics: onDispatch + onFinished', (n) => {
  const row = { ...rowOf('job_x', 0), state: 'succeeded', started_at: 1, finished_at: 2, load_duration: 123456 } as JobRow;
  for (let i = 0; i < n; i++) {
    metrics.onDispatch({ id: 'job_x', lane: 'llama3.2:latest', host: 'local', cls: 0, switched: false, evicts: [], waitedMs: 0 });
    metrics.onFinished(row);
  }
});
await part('event hub: publish', (n) => {
  const event = { type: 'job', job: rowOf('job_x', 0) } as const;
  for (let i = 0; i < n; i++) hub.publish(event);
});
await part('scheduler: enqueue, slot, release (incl. microtask)', async (n) => {
  // The slot resolves on a microtask, as in a request.
  for (let i = 0; i < n; i++) {
    const ticket = scheduler.enqueue({ id: `job_${i}`, lane: 'llama3.2:latest', cls: 0 });
    const slot = (await ticket.slot)!;
    slot.keepAlive(chooseKeepAlive(undefined, slot.holdRunner).ms);
    slot.release();
  }
});
await part('transcript: answeredOutcome + pickFigures', (n) => {
  for (let i = 0; i < n; i++) pickFigures(answeredOutcome(UPSTREAM, 'chat', 'native', ANSWER, 0));
});
await part('store: later insert, working, finish + flush (1 in 10)', (n) => {
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const id = newJobId();
    store.later.insertJob({
      id,
      source: 'passthrough',
      route: '/api/chat',
      api: 'chat',
      model: 'llama3.2:latest',
      lane: 'llama3.2:latest',
      client: '127.0.0.1 undici',
      priority: 0,
      stream: false,
      createdAt: now,
      request: BODY.toString('utf8'),
    });
    store.later.markWorking(id, now);
    store.later.finishJob(id, {
      state: 'succeeded',
      finishedAt: now,
      statusCode: 200,
      error: null,
      response: ANSWER.toString('utf8'),
      total_duration: 1234567,
      load_duration: 123456,
      prompt_eval_count: 5,
      prompt_eval_duration: 12345,
      eval_count: 1,
      eval_duration: 12345,
    });
    if (i % 10 === 9) store.flush();
  }
  store.flush();
});

console.log(`\n== foreman's own per-request parts (${dist}, ${N} requests each, best of 5, node ${process.version}) ==`);
console.log(table(['part', 'µs/request'], rows));
store.close();
fs.rmSync(dir, { recursive: true, force: true });
