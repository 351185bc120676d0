import { describe, expect, it } from 'vitest';
import { Lane, type Waiting } from './lanes.js';

let seq = 0;
function job(lane: string, enqueuedAt: number, extra: Partial<Waiting> = {}): Waiting {
  return { id: `j${seq}`, lane, cls: 0, priority: 0, enqueuedAt, seq: seq++, ...extra };
}

describe('Lane', () => {
  it('serves interactive before background, then higher priority, then arrival order', () => {
    const lane = new Lane('m');
    const bgHigh = job('m', 0, { cls: 1, priority: 9 });
    const inter1 = job('m', 1);
    const interPrio = job('m', 2, { priority: 5 });
    const inter2 = job('m', 3);
    const bgLow = job('m', 4, { cls: 1 });
    for (const j of [bgHigh, inter1, interPrio, inter2, bgLow]) lane.add(j);
    const order: string[] = [];
    while (lane.size) order.push(lane.shift()!.id);
    expect(order).toEqual([interPrio.id, inter1.id, inter2.id, bgHigh.id, bgLow.id]);
  });

  it('reports the arrival time of its longest waiter, not of its head', () => {
    const lane = new Lane('m');
    const old = job('m', 10, { cls: 1 });
    lane.add(old);
    lane.add(job('m', 20));
    expect(lane.head()!.enqueuedAt).toBe(20);
    expect(lane.oldest()).toBe(10);
    lane.remove(old.id);
    expect(lane.oldest()).toBe(20);
    expect(lane.size).toBe(1);
  });
});

describe('one within-lane order for the scheduler and the window', () => {
  it('the window sorts a lane the way the scheduler will run it', async () => {
    const fc = (await import('fast-check')).default;
    const { runsBefore: windowOrder } = await import('../../renderer/src/snapshot-reducer.js');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            cls: fc.constantFrom(0 as const, 1 as const),
            priority: fc.integer({ min: -2, max: 2 }),
            at: fc.integer({ min: 0, max: 5 }),
          }),
          { maxLength: 30 },
        ),
        (specs) => {
          const lane = new Lane('m');
          const rows = specs.map((s, i) => {
            const id = `job_${String(s.at).padStart(9, '0')}${String(i).padStart(3, '0')}`;
            lane.add({ id, lane: 'm', cls: s.cls, priority: s.priority, enqueuedAt: s.at, seq: i });
            return { id, source: s.cls === 0 ? 'passthrough' : 'jobs', priority: s.priority, created_at: s.at } as Parameters<
              typeof windowOrder
            >[0];
          });
          const scheduled: string[] = [];
          while (lane.size) scheduled.push(lane.shift()!.id);
          const shown = [...rows].sort((a, b) => (windowOrder(a, b) ? -1 : windowOrder(b, a) ? 1 : 0)).map((r) => r.id);
          expect(shown).toEqual(scheduled);
        },
      ),
    );
  });
});
