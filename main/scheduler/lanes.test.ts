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
