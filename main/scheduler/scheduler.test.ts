import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QueueFullError, createScheduler, type Slot } from './scheduler.js';

function fakeClock(start = 0) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Collects dispatch order; slots stay held until the test releases them. */
function harness(opts: Parameters<typeof createScheduler>[0] = {}) {
  const clock = fakeClock();
  const started: string[] = [];
  const slots = new Map<string, Slot>();
  const s = createScheduler({ clock, ...opts, onDispatch: (e) => started.push(e.id) });
  const add = (id: string, lane: string, extra: { cls?: 0 | 1; priority?: number } = {}) => {
    const t = s.enqueue({ id, lane, cls: extra.cls ?? 0, priority: extra.priority });
    void t.slot.then((slot) => slot && slots.set(id, slot));
    return t;
  };
  const release = async (id: string) => {
    await Promise.resolve();
    slots.get(id)!.release();
    slots.delete(id);
  };
  const slot = (id: string) => slots.get(id)!;
  return { s, clock, started, add, release, slot };
}

describe('scheduler', () => {
  it('drains the served model before switching (A B A B → A A B B)', async () => {
    const h = harness();
    h.add('a1', 'A');
    h.add('b1', 'B');
    h.add('a2', 'A');
    h.add('b2', 'B');
    for (const id of ['a1', 'a2', 'b1', 'b2']) await h.release(id);
    expect(h.started).toEqual(['a1', 'a2', 'b1', 'b2']);
  });

  it('runs up to `concurrency` jobs at once, all for one model', async () => {
    const h = harness({ concurrency: 2 });
    h.add('a1', 'A');
    h.add('b1', 'B');
    h.add('a2', 'A');
    h.add('a3', 'A');
    expect(h.started).toEqual(['a1', 'a2']);
    expect(h.s.running).toBe(2);
    await h.release('a1');
    expect(h.started).toEqual(['a1', 'a2', 'a3']);
    await h.release('a2');
    await h.release('a3');
    expect(h.started.at(-1)).toBe('b1');
  });

  it('serves a starving lane at the next job boundary', async () => {
    const h = harness({ maxWaitMs: 1000 });
    h.add('a1', 'A');
    h.add('b1', 'B');
    h.add('a2', 'A');
    h.clock.advance(1500);
    await h.release('a1');
    expect(h.started).toEqual(['a1', 'b1']);
  });

  it('drops a canceled waiting job and resolves its slot with null', async () => {
    const h = harness();
    h.add('a1', 'A');
    const t = h.add('a2', 'A');
    expect(t.cancel()).toBe(true);
    expect(await t.slot).toBeNull();
    expect(t.cancel()).toBe(false);
    await h.release('a1');
    expect(h.started).toEqual(['a1']);
    expect(h.s.waiting).toBe(0);
  });

  it('refuses work beyond maxQueue waiting jobs', () => {
    const h = harness({ maxQueue: 2 });
    h.add('a1', 'A'); // running, not waiting
    h.add('a2', 'A');
    h.add('a3', 'A');
    expect(() => h.add('a4', 'A')).toThrow(QueueFullError);
    // Background jobs are durable and already accepted: the bound is for waiting clients.
    expect(() => h.add('b1', 'A', { cls: 1 })).not.toThrow();
    expect(h.s.waiting).toBe(3);
    expect(h.s.waitingInteractive).toBe(2);
  });

  it('takes what Ollama holds from /api/ps answers, ignoring one asked before the latest load', async () => {
    const h = harness();
    h.add('a1', 'A');
    const epoch = h.s.loadEpoch();
    expect(h.s.observePs([{ model: 'A', bytes: 100 }], epoch - 1)).toBe(false);
    h.add('b1', 'B');
    h.add('c1', 'C');
    expect(
      h.s.observePs(
        [
          { model: 'A', bytes: 100 },
          { model: 'C', bytes: 200 },
        ],
        epoch,
      ),
    ).toBe(true);
    await h.release('a1');
    expect(h.started).toEqual(['a1', 'c1']);
    expect(h.s.snapshot().runners.map((r) => [r.key, r.bytes])).toEqual([
      ['A', 100],
      ['C', 200],
    ]);
  });

  it('runs runners side by side once /api/ps showed them resident together', async () => {
    const h = harness();
    h.add('a1', 'A');
    h.add('b1', 'B');
    expect(h.started).toEqual(['a1']);
    await h.release('a1');
    expect(h.started).toEqual(['a1', 'b1']);
    // Ollama kept A beside B: from now on they fit together.
    expect(
      h.s.observePs(
        [
          { model: 'A', bytes: 3e9 },
          { model: 'B', bytes: 2e9 },
        ],
        h.s.loadEpoch(),
      ),
    ).toBe(true);
    h.add('a2', 'A');
    h.add('b2', 'B');
    expect(h.started).toEqual(['a1', 'b1', 'a2']);
    expect(h.s.snapshot().memory).toMatchObject({ budget: 5e9, source: 'learned' });
  });

  it('serves a lone job behind a backlog within the bound, and saturated lanes take turns of at least the bound', async () => {
    const h = harness({ maxWaitMs: 300 });
    for (let i = 0; i < 30; i++) h.add(`a${i}`, 'A');
    h.add('b0', 'B');
    let served = 0;
    while (!h.started.includes('b0')) {
      h.clock.advance(50);
      await h.release(h.started.at(-1)!);
      served++;
    }
    // 300 ms of A (6 jobs of 50 ms), then B at the next boundary.
    expect(served).toBe(6);
    for (let i = 0; i < 30; i++) h.add(`b${i + 1}`, 'B');
    const switches: number[] = [];
    let last = 'B';
    for (let i = 0; i < 40; i++) {
      h.clock.advance(50);
      await h.release(h.started.at(-1)!);
      const lane = h.started.at(-1)!.startsWith('a') ? 'A' : 'B';
      if (lane !== last) switches.push(h.clock.now());
      last = lane;
    }
    expect(switches.length).toBeGreaterThan(1);
    for (let i = 1; i < switches.length; i++) expect(switches[i]! - switches[i - 1]!).toBeGreaterThanOrEqual(300);
  });

  it('gives each of three saturated lanes a turn of at least the bound, though two starve at once', async () => {
    const h = harness({ maxWaitMs: 300 });
    for (const lane of ['A', 'B', 'C']) for (let i = 0; i < 40; i++) h.add(`${lane.toLowerCase()}${i}`, lane);
    const turns: { lane: string; at: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const lane = h.started.at(-1)!.slice(0, 1).toUpperCase();
      if (turns.at(-1)?.lane !== lane) turns.push({ lane, at: h.clock.now() });
      h.clock.advance(50);
      await h.release(h.started.at(-1)!);
    }
    expect(turns.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < turns.length - 1; i++) expect(turns[i + 1]!.at - turns[i]!.at).toBeGreaterThanOrEqual(300);
  });

  it('tells a started job whether its lane has more work, so its keep_alive can hold the runner', async () => {
    const h = harness();
    h.s.pause();
    const first = h.add('a1', 'A');
    h.add('a2', 'A');
    h.s.resume();
    expect((await first.slot)!.holdRunner).toBe(true);
    await h.release('a1');
    expect(h.slot('a2').holdRunner).toBe(false);
  });

  it('sends a job to a serving runner at once, beyond concurrency, when its keep_alive would unload it between jobs', async () => {
    const h = harness({ holdMs: 10_000 });
    (await h.add('a1', 'A').slot)!.keepAlive(0);
    h.add('b1', 'B');
    h.add('a2', 'A');
    h.add('a3', 'A');
    // a2 goes to Ollama beside a1 (Ollama queues it in the runner), so the runner is never idle; a3 waits.
    expect(h.started).toEqual(['a1', 'a2']);
    await Promise.resolve();
    h.slot('a2').keepAlive(10_000);
    await h.release('a1');
    expect(h.started).toEqual(['a1', 'a2']);
    await h.release('a2');
    expect(h.started).toEqual(['a1', 'a2', 'a3']);
    await h.release('a3');
    expect(h.started.at(-1)).toBe('b1');
  });

  it('forgets a runner a keep_alive of 0 unloads once its last request ends', async () => {
    const h = harness();
    (await h.add('a1', 'A').slot)!.keepAlive(0);
    await h.release('a1');
    expect(h.s.snapshot().runners).toEqual([]);
  });

  it('holds work while paused and resumes in order', async () => {
    const h = harness();
    h.s.pause();
    h.add('a1', 'A');
    expect(h.started).toEqual([]);
    h.s.resume();
    expect(h.started).toEqual(['a1']);
    expect(h.s.snapshot()).toMatchObject({ current: 'A', running: 1, paused: false });
  });

  it('whenIdle resolves once the last slot is released', async () => {
    const h = harness();
    h.add('a1', 'A');
    let idle = false;
    void h.s.whenIdle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    expect(idle).toBe(false);
    await h.release('a1');
    await Promise.resolve();
    expect(idle).toBe(true);
  });
});

type Op =
  | { kind: 'add'; lane: number; cls: 0 | 1; priority: number }
  | { kind: 'finish'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    lane: fc.integer({ min: 0, max: 3 }),
    cls: fc.constantFrom(0 as const, 1 as const),
    priority: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 400 }) }),
);

describe('scheduler properties', () => {
  it('keeps its invariants under any sequence of arrivals, completions, cancels and time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 120 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 100, max: 2000 }),
        async (ops, concurrency, maxWaitMs) => {
          const clock = fakeClock();
          const waiting = new Map<string, { lane: string; at: number; cls: 0 | 1; priority: number; seq: number }>();
          const running = new Map<string, { lane: string }>();
          const tickets = new Map<string, { cancel(): boolean }>();
          const slots = new Map<string, Slot>();
          let current: string | null = null;
          let seq = 0;
          const lastServed = new Map<string, number>();
          const turnStart = new Map<string, number>();
          const s = createScheduler({
            clock,
            concurrency,
            maxWaitMs,
            maxQueue: 10_000,
            onDispatch(e) {
              const w = waiting.get(e.id)!;
              const now = clock.now();
              // 1. At most `concurrency` in flight, all for the same model.
              expect(running.size).toBeLessThan(concurrency);
              for (const r of running.values()) expect(r.lane).toBe(e.lane);
              const others = [...waiting.entries()].filter(([id]) => id !== e.id);
              // 2. If a lane not being served went unserved for the bound, the one that waited longest goes next.
              let starving: { lane: string; wait: number; seq: number } | null = null;
              for (const o of waiting.values()) {
                if ([...running.values()].some((r) => r.lane === o.lane)) continue;
                const oldestAt = Math.min(...[...waiting.values()].filter((x) => x.lane === o.lane).map((x) => x.at));
                const wait = now - Math.max(oldestAt, lastServed.get(o.lane) ?? -Infinity);
                if (wait < maxWaitMs) continue;
                if (!starving || wait > starving.wait || (wait === starving.wait && o.seq < starving.seq))
                  starving = { lane: o.lane, wait, seq: o.seq };
              }
              // ...unless the lane being served began its turn less than the bound ago and still has work.
              const currentHasWork =
                current !== null &&
                ([...waiting.values()].some((o) => o.lane === current) || [...running.values()].some((r) => r.lane === current));
              const young = current !== null && currentHasWork && now - (turnStart.get(current) ?? -Infinity) < maxWaitMs;
              if (starving) expect(e.lane).toBe(young ? current : starving.lane);
              const lane = [...waiting.values()].filter((x) => x.lane === e.lane);
              const laneWait = now - Math.max(Math.min(...lane.map((x) => x.at)), lastServed.get(e.lane) ?? -Infinity);
              if (e.switched || laneWait >= maxWaitMs || !turnStart.has(e.lane)) turnStart.set(e.lane, now);
              const all = [...waiting.values()];
              const oldest = all.reduce((a, b) => (b.at < a.at || (b.at === a.at && b.seq < a.seq) ? b : a));
              // 3. Drain: no switch while the served lane still has work and nothing starves.
              if (current !== null && e.lane !== current && now - oldest.at < maxWaitMs) {
                expect(others.some(([, o]) => o.lane === current)).toBe(false);
              }
              // 4. Within the lane: the best (class, priority, arrival) job starts first.
              for (const [, o] of others) {
                if (o.lane !== e.lane) continue;
                const better =
                  o.cls < w.cls || (o.cls === w.cls && (o.priority > w.priority || (o.priority === w.priority && o.seq < w.seq)));
                expect(better).toBe(false);
              }
              waiting.delete(e.id);
              running.set(e.id, { lane: e.lane });
              lastServed.set(e.lane, now);
              current = e.lane;
            },
          });
          let n = 0;
          for (const op of ops) {
            if (op.kind === 'add') {
              const id = `j${String(n++).padStart(5, '0')}`;
              waiting.set(id, { lane: `m${op.lane}`, at: clock.now(), cls: op.cls, priority: op.priority, seq: seq++ });
              const t = s.enqueue({ id, lane: `m${op.lane}`, cls: op.cls, priority: op.priority });
              tickets.set(id, t);
              void t.slot.then((slot) => {
                if (slot) slots.set(id, slot);
              });
              await Promise.resolve();
            } else if (op.kind === 'tick') {
              clock.advance(op.ms);
            } else if (op.kind === 'cancel') {
              const ids = [...waiting.keys()];
              if (!ids.length) continue;
              const id = ids[op.pick % ids.length]!;
              expect(tickets.get(id)!.cancel()).toBe(true);
              waiting.delete(id);
            } else {
              const ids = [...running.keys()];
              if (!ids.length) continue;
              const id = ids[op.pick % ids.length]!;
              lastServed.set(running.get(id)!.lane, clock.now());
              running.delete(id);
              slots.get(id)!.release();
              await Promise.resolve();
            }
          }
          // 5. Nothing is lost: drain everything and every job starts exactly once.
          while (running.size) {
            const id = running.keys().next().value as string;
            lastServed.set(running.get(id)!.lane, clock.now());
            running.delete(id);
            slots.get(id)!.release();
            await Promise.resolve();
          }
          expect(waiting.size).toBe(0);
          expect(s.waiting).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('scheduler properties with a GPU budget', () => {
  const models = ['m0', 'm1', 'm2', 'm3', 'm4 · num_ctx 8192', 'm0 · num_ctx 8192'];
  const arb = fc.record({
    budget: fc.integer({ min: 4, max: 20 }),
    sizes: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: models.length, maxLength: models.length }),
    maxLoaded: fc.integer({ min: 1, max: 4 }),
    concurrency: fc.integer({ min: 1, max: 3 }),
    ops: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('add' as const), lane: fc.integer({ min: 0, max: models.length - 1 }) }),
        fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
        fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 300 }) }),
      ),
      { maxLength: 100 },
    ),
  });

  it('never runs runners that do not fit, never evicts one with work in flight, and runs every job', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({ budget, sizes, maxLoaded, concurrency, ops }) => {
        const clock = fakeClock();
        const size = new Map(models.map((m, i) => [m, sizes[i]!]));
        const running = new Map<string, string>();
        const slots = new Map<string, Slot>();
        const s = createScheduler({
          clock,
          concurrency,
          gpuMemory: budget,
          maxLoaded,
          maxWaitMs: 500,
          onDispatch(e) {
            const busy = new Set(running.values());
            for (const v of e.evicts) expect(busy.has(v)).toBe(false);
            running.set(e.id, e.lane);
            const inFlight = new Set(running.values());
            if (inFlight.size > 1) {
              expect(inFlight.size).toBeLessThanOrEqual(maxLoaded);
              expect([...inFlight].reduce((sum, k) => sum + size.get(k)!, 0)).toBeLessThanOrEqual(budget);
              // Ollama keeps one runner per model.
              expect(new Set([...inFlight].map((k) => k.split(' · ')[0])).size).toBe(inFlight.size);
            }
          },
        });
        // Each runner seen alone once: foreman knows every footprint.
        for (const m of models) s.observePs([{ model: m, bytes: size.get(m)! }], s.loadEpoch());
        s.observePs([], s.loadEpoch());
        let n = 0;
        for (const op of ops) {
          if (op.kind === 'add') {
            const id = `j${String(n++).padStart(5, '0')}`;
            void s.enqueue({ id, lane: models[op.lane]!, cls: 0 }).slot.then((slot) => {
              if (slot) slots.set(id, slot);
            });
          } else if (op.kind === 'tick') clock.advance(op.ms);
          else {
            const ids = [...running.keys()];
            if (!ids.length) continue;
            const id = ids[op.pick % ids.length]!;
            await Promise.resolve();
            running.delete(id);
            slots.get(id)!.release();
          }
          await Promise.resolve();
        }
        for (let guard = 0; (running.size || s.waiting) && guard < 1000; guard++) {
          const id = running.keys().next().value as string;
          await Promise.resolve();
          running.delete(id);
          slots.get(id)!.release();
          clock.advance(10);
        }
        expect(s.waiting).toBe(0);
        expect(s.running).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('loads each runner at most once when all work is there from the start (no ping-pong)', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({ budget, sizes, maxLoaded, concurrency, ops }) => {
        const clock = fakeClock();
        const loads: string[] = [];
        const slots: Slot[] = [];
        const s = createScheduler({
          clock,
          concurrency,
          gpuMemory: budget,
          maxLoaded,
          maxWaitMs: Infinity,
          onDispatch: (e) => e.switched && loads.push(e.lane),
        });
        for (const [i, m] of models.entries()) s.observePs([{ model: m, bytes: sizes[i]! }], s.loadEpoch());
        s.observePs([], s.loadEpoch());
        s.pause();
        let n = 0;
        for (const op of ops)
          if (op.kind === 'add')
            void s.enqueue({ id: `j${String(n++).padStart(5, '0')}`, lane: models[op.lane]!, cls: 0 }).slot.then((x) => x && slots.push(x));
        s.resume();
        for (let guard = 0; guard < 1000 && (slots.length || s.waiting); guard++) {
          await Promise.resolve();
          slots.shift()?.release();
        }
        expect(s.waiting).toBe(0);
        expect(loads.length).toBe(new Set(loads).size);
      }),
      { numRuns: 300 },
    );
  });
});

describe('scheduler properties with several hosts', () => {
  it('never places work on a down host, never overfills or evicts work on any host, and runs every job', async () => {
    const models = ['m0', 'm1', 'm2', 'm3'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('add' as const), lane: fc.integer({ min: 0, max: 3 }) }),
            fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
            fc.record({ kind: fc.constant('toggle' as const), host: fc.integer({ min: 0, max: 2 }) }),
            fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 300 }) }),
          ),
          { maxLength: 80 },
        ),
        async (hostCount, sizes, ops) => {
          const clock = fakeClock();
          const ids = Array.from({ length: hostCount }, (_, i) => `h${i}`);
          const down = new Set<string>();
          const running = new Map<string, { lane: string; host: string }>();
          const slots = new Map<string, Slot>();
          const budget = 8;
          const s = createScheduler({
            clock,
            gpuMemory: budget,
            maxWaitMs: 500,
            spreadMin: 2,
            hosts: ids.map((id) => ({ id })),
            onDispatch(e) {
              expect(down.has(e.host)).toBe(false);
              for (const v of e.evicts) expect([...running.values()].some((r) => r.host === e.host && r.lane === v)).toBe(false);
              running.set(e.id, { lane: e.lane, host: e.host });
              const here = new Set([...running.values()].filter((r) => r.host === e.host).map((r) => r.lane));
              if (here.size > 1) expect([...here].reduce((n, k) => n + sizes[models.indexOf(k)]!, 0)).toBeLessThanOrEqual(budget);
            },
          });
          for (const id of ids) {
            for (const [i, m] of models.entries()) s.observePs([{ model: m, bytes: sizes[i]! }], s.loadEpoch(id), id);
            s.observePs([], s.loadEpoch(id), id);
          }
          let n = 0;
          for (const op of ops) {
            if (op.kind === 'add') {
              const id = `j${String(n++).padStart(5, '0')}`;
              void s.enqueue({ id, lane: models[op.lane]!, cls: 0 }).slot.then((slot) => {
                if (slot) slots.set(id, slot);
              });
            } else if (op.kind === 'toggle') {
              const id = ids[op.host % ids.length]!;
              if (down.has(id)) down.delete(id);
              else down.add(id);
              s.setHostUp(id, !down.has(id));
            } else if (op.kind === 'tick') clock.advance(op.ms);
            else {
              const list = [...running.keys()];
              if (!list.length) continue;
              const id = list[op.pick % list.length]!;
              await Promise.resolve();
              running.delete(id);
              slots.get(id)!.release();
            }
            await Promise.resolve();
          }
          for (const id of ids) {
            down.delete(id);
            s.setHostUp(id, true);
          }
          for (let guard = 0; (running.size || s.waiting) && guard < 1000; guard++) {
            const id = running.keys().next().value as string;
            await Promise.resolve();
            running.delete(id);
            slots.get(id)!.release();
            clock.advance(10);
          }
          expect(s.waiting).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sending ahead', () => {
  it('sends one more job to a loaded runner that is serving, never to one still loading or to another lane', async () => {
    const h = harness({ sendAhead: true });
    h.add('a1', 'A');
    h.add('a2', 'A');
    h.add('b1', 'B');
    // a1 loads A: a2 waits rather than wait on the same load at Ollama.
    expect(h.started).toEqual(['a1']);
    await h.release('a1');
    h.add('a3', 'A');
    expect(h.started).toEqual(['a1', 'a2', 'a3']);
    await h.release('a2');
    await h.release('a3');
    expect(h.started.at(-1)).toBe('b1');
  });
});
