import { describe, expect, it } from 'vitest';
import type { ForemanEvent, JobRow, LaneSnapshot, QueueSnapshot } from '../../shared/api.js';
import { FLUSH_MS, initialSync, step, type SyncCommand, type SyncInput, type SyncState } from './live-sync.js';

const BOOT = 'b1:';

function lane(model: string, over: Partial<LaneSnapshot> = {}): LaneSnapshot {
  return { model, resident: false, current: false, queued: [], running: [], oldest_at: null, load_ms: null, tokens_per_s: null, ...over };
}

function snap(seq: number, lanes: LaneSnapshot[] = [], now = 10_000): QueueSnapshot {
  return {
    event_id: `${BOOT}${seq}`,
    paused: false,
    current: null,
    lanes,
    resident: [],
    upstream: { url: 'http://ollama', up: true },
    memory: { budget_bytes: null, budget_source: 'unknown', max_loaded: 1, runners: [] },
    hosts: [],
    ollama: { status: 'external', managed: false },
    now,
  };
}

function job(id: string, over: Partial<JobRow> = {}): JobRow {
  return {
    id,
    source: 'passthrough',
    route: '/api/chat',
    api: 'chat',
    model: 'llama3.2',
    lane: 'llama3.2:latest',
    state: 'queued',
    priority: 0,
    stream: true,
    client: null,
    created_at: 1000,
    started_at: null,
    finished_at: null,
    status_code: null,
    error: null,
    ...over,
  };
}

const jobEvent = (j: JobRow): ForemanEvent => ({ type: 'job', job: j });
const ev = (seq: number, event: ForemanEvent): SyncInput => ({ type: 'event', id: `${BOOT}${seq}`, event });

/** Feeds inputs in order; returns the last state and every command, in order. */
function run(inputs: SyncInput[], from: SyncState = initialSync()): { s: SyncState; out: SyncCommand[] } {
  let s = from;
  const out: SyncCommand[] = [];
  for (const input of inputs) {
    const [next, commands] = step(s, input);
    s = next;
    out.push(...commands);
  }
  return { s, out };
}

const fetches = (out: SyncCommand[]) => out.filter((c) => c.type === 'fetch').length;
const fetched = (snapshot: QueueSnapshot, now = 9_000): SyncInput => ({ type: 'fetched', snapshot, now, tookMs: 5 });
/** Connected, with the first snapshot in. */
const live = (first = snap(0)) => run([{ type: 'open' }, fetched(first)]).s;

describe('step: snapshot first, then events', () => {
  it('fetches once the stream is open, and measures ages on the server clock', () => {
    const { s, out } = run([{ type: 'open' }]);
    expect(s.view.connection).toBe('live');
    expect(out).toEqual([{ type: 'fetch' }]);
    const after = run([fetched(snap(0, [], 10_000), 9_000)], s).s;
    expect(after.view.snapshot?.event_id).toBe(`${BOOT}0`);
    expect(after.skew).toBe(1_000);
    expect(after.view.generation).toBe(0);
  });

  it('applies events in one batch per flush, feeds tokens in order and tells listeners after', () => {
    const first = run(
      [ev(1, jobEvent(job('a'))), ev(2, { type: 'tokens', id: 'a', content: 'hi', thinking: '', count: 1 })],
      live(snap(0, [lane('llama3.2:latest')])),
    );
    expect(first.out).toEqual([{ type: 'timer', name: 'flush', ms: FLUSH_MS }]);
    expect(first.s.view.snapshot?.lanes[0]?.queued).toEqual([]);
    const { s, out } = run([{ type: 'flush', now: 9_050 }], first.s);
    expect(s.view.snapshot?.lanes[0]?.queued.map((j) => j.id)).toEqual(['a']);
    expect(out.map((c) => c.type)).toEqual(['tokens', 'emit']);
    expect(out[0]).toMatchObject({ events: [{ type: 'job' }, { type: 'tokens', content: 'hi' }] });
  });

  it('replays over a new snapshot the events it does not include, and no others', () => {
    const seen = run([ev(1, jobEvent(job('a'))), ev(2, jobEvent(job('b'))), { type: 'flush', now: 9_050 }], live()).s;
    // The server's snapshot was taken after event 1 (job a is in it) and before event 2.
    const withA = snap(1, [lane('llama3.2:latest', { queued: [job('a')] })]);
    const again = run([{ type: 'routine', now: 9_100 }, fetched(withA)], seen).s;
    expect(again.view.snapshot?.lanes[0]?.queued.map((j) => j.id)).toEqual(['a', 'b']);
    expect(again.log).toEqual([]);
  });

  it('resyncs on a resync event or a reconnect: a fetch that bumps the generation', () => {
    const { s, out } = run([ev(3, { type: 'resync' }), { type: 'flush', now: 9_050 }], live());
    expect(fetches(out)).toBe(1);
    expect(run([fetched(snap(3))], s).s.view.generation).toBe(1);
    const reconnected = run([{ type: 'down' }, { type: 'open' }, fetched(snap(4))], live()).s;
    expect(reconnected.view.generation).toBe(1);
  });

  it('keeps one fetch in flight, and fetches once more after it when asked meanwhile', () => {
    const { s, out } = run([{ type: 'open' }, { type: 'down' }, { type: 'open' }]);
    expect(fetches(out)).toBe(1);
    const { out: after } = run([fetched(snap(0))], s);
    expect(fetches(after)).toBe(1);
  });

  it('remembers a resync whose fetch failed, and says why meanwhile', () => {
    const failed = run([{ type: 'down' }, { type: 'open' }, { type: 'fetch-failed', error: 'HTTP 500' }], live()).s;
    expect(failed.view.error).toBe('HTTP 500');
    const { s } = run([{ type: 'routine', now: 20_000 }, fetched(snap(5))], failed);
    expect([s.view.error, s.view.generation]).toEqual([null, 1]);
  });

  it('without a stream, still fetches the queue to show it', () => {
    const { s, out } = run([{ type: 'down' }]);
    expect([s.view.connection, fetches(out)]).toEqual(['connecting', 1]);
    expect(run([{ type: 'down' }], live()).s.view.connection).toBe('reconnecting');
  });
});

describe('step: routine refreshes and figures', () => {
  it('asks for a refresh after jobs end, merged and spaced out', () => {
    const done = (id: string) => jobEvent(job(id, { state: 'succeeded', eval_count: 100 }));
    const { s, out } = run([ev(1, done('a')), ev(2, done('b')), { type: 'flush', now: 9_000 }], live());
    expect(out.filter((c) => c.type === 'timer' && c.name === 'routine')).toEqual([{ type: 'timer', name: 'routine', ms: 700 }]);
    expect(s.view.evalMean['llama3.2:latest']).toBe(100);
    const { s: after, out: fired } = run([{ type: 'routine', now: 9_700 }], s);
    expect(fetches(fired)).toBe(1);
    // The next one waits for the gap since the last.
    const { out: next } = run([fetched(snap(2), 9_710), ev(3, done('c')), { type: 'flush', now: 9_800 }], after);
    expect(next.filter((c) => c.type === 'timer' && c.name === 'routine')).toEqual([{ type: 'timer', name: 'routine', ms: 1_400 }]);
  });

  it('a lane that appears after the page loaded asks for its figures at once', () => {
    const { s, out } = run([ev(1, jobEvent(job('a', { lane: 'gemma3:1b', model: 'gemma3:1b' }))), { type: 'flush', now: 9_050 }], live());
    expect(fetches(out)).toBe(1);
    const figures = { load_ms: 800, tokens_per_s: 42 };
    const withGemma = run([fetched(snap(1, [lane('gemma3:1b', { queued: [job('a', { lane: 'gemma3:1b' })], ...figures })]))], s).s;
    expect(withGemma.view.snapshot?.lanes[0]).toMatchObject(figures);
  });

  it('a lane that comes back shows the figures last fetched for it, without asking again', () => {
    const figures = { load_ms: 800, tokens_per_s: 42 };
    const knew = run([{ type: 'routine', now: 9_000 }, fetched(snap(1, [lane('gemma3:1b', figures)]))], live()).s;
    const gone = run([{ type: 'routine', now: 20_000 }, fetched(snap(2, []))], knew).s;
    const { s, out } = run([ev(3, jobEvent(job('a', { lane: 'gemma3:1b' }))), { type: 'flush', now: 20_100 }], gone);
    expect(s.view.snapshot?.lanes[0]).toMatchObject({ model: 'gemma3:1b', ...figures });
    expect(fetches(out)).toBe(0);
  });

  it('applies a patch at once', () => {
    const { s } = run([{ type: 'patch', change: (q) => ({ ...q, paused: true }) }], live());
    expect(s.view.snapshot?.paused).toBe(true);
  });
});
