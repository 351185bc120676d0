import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QueueFullError, createScheduler, type Slot } from './scheduler.js';

function fakeClock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
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
  return { s, clock, started, add, release };
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

  it('asks Ollama what it holds before a switch with a real choice, and prefers that model', async () => {
    let asked = 0;
    const h = harness({
      residentModels: async () => {
        asked++;
        return ['C'];
      },
    });
    h.add('a1', 'A');
    h.add('b1', 'B');
    h.add('c1', 'C');
    await h.release('a1');
    await new Promise((r) => setImmediate(r));
    expect(asked).toBe(1);
    expect(h.started).toEqual(['a1', 'c1']);
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
    void h.s.whenIdle().then(() => { idle = true; });
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
  fc.record({ kind: fc.constant('add' as const), lane: fc.integer({ min: 0, max: 3 }), cls: fc.constantFrom(0 as const, 1 as const), priority: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 400 }) }),
);

describe('scheduler properties', () => {
  it('keeps its invariants under any sequence of arrivals, completions, cancels and time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 120 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 100, max: 2000 }), async (ops, concurrency, maxWaitMs) => {
        const clock = fakeClock();
        const waiting = new Map<string, { lane: string; at: number; cls: 0 | 1; priority: number; seq: number }>();
        const running = new Map<string, { lane: string }>();
        const tickets = new Map<string, { cancel(): boolean }>();
        const slots = new Map<string, Slot>();
        let current: string | null = null;
        let seq = 0;
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
            // 2. If anything starves, the lane holding the oldest waiting job goes next.
            const all = [...waiting.values()];
            const oldest = all.reduce((a, b) => (b.at < a.at || (b.at === a.at && b.seq < a.seq) ? b : a));
            if (now - oldest.at >= maxWaitMs) expect(e.lane).toBe(oldest.lane);
            // 3. Drain: no switch while the served lane still has work and nothing starves.
            if (current !== null && e.lane !== current && now - oldest.at < maxWaitMs) {
              expect(others.some(([, o]) => o.lane === current)).toBe(false);
            }
            // 4. Within the lane: the best (class, priority, arrival) job starts first.
            for (const [, o] of others) {
              if (o.lane !== e.lane) continue;
              const better = o.cls < w.cls || (o.cls === w.cls && (o.priority > w.priority || (o.priority === w.priority && o.seq < w.seq)));
              expect(better).toBe(false);
            }
            waiting.delete(e.id);
            running.set(e.id, { lane: e.lane });
            current = e.lane;
          },
        });
        let n = 0;
        for (const op of ops) {
          if (op.kind === 'add') {
            const id = `j${n++}`;
            waiting.set(id, { lane: `m${op.lane}`, at: clock.now(), cls: op.cls, priority: op.priority, seq: seq++ });
            const t = s.enqueue({ id, lane: `m${op.lane}`, cls: op.cls, priority: op.priority });
            tickets.set(id, t);
            void t.slot.then((slot) => { if (slot) slots.set(id, slot); });
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
            running.delete(id);
            slots.get(id)!.release();
            await Promise.resolve();
          }
        }
        // 5. Nothing is lost: drain everything and every job starts exactly once.
        while (running.size) {
          const id = running.keys().next().value as string;
          running.delete(id);
          slots.get(id)!.release();
          await Promise.resolve();
        }
        expect(waiting.size).toBe(0);
        expect(s.waiting).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

