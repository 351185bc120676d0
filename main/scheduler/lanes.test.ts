import { describe, expect, it } from 'vitest';
import { Lane, pickLane, type PickInput, type Waiting } from './lanes.js';

let seq = 0;
function job(lane: string, enqueuedAt: number, extra: Partial<Waiting> = {}): Waiting {
  return { id: `j${seq}`, lane, cls: 0, priority: 0, enqueuedAt, seq: seq++, ...extra };
}

function lanesOf(...jobs: Waiting[]): Map<string, Lane> {
  const lanes = new Map<string, Lane>();
  for (const j of jobs) {
    if (!lanes.has(j.lane)) lanes.set(j.lane, new Lane(j.lane));
    lanes.get(j.lane)!.add(j);
  }
  return lanes;
}

function input(lanes: Map<string, Lane>, over: Partial<PickInput> = {}): PickInput {
  return { now: 1000, lanes, current: null, running: 0, concurrency: 1, maxWaitMs: 30_000, resident: new Set(), ...over };
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

describe('pickLane', () => {
  it('keeps serving the current lane while it has work', () => {
    const lanes = lanesOf(job('b', 0), job('a', 500));
    expect(pickLane(input(lanes, { current: 'a' }))).toBe('a');
  });

  it('switches to the lane whose oldest job waited longest when the current one is empty', () => {
    const lanes = lanesOf(job('c', 300), job('b', 100), job('b', 900));
    expect(pickLane(input(lanes, { current: 'a' }))).toBe('b');
  });

  it('prefers a model Ollama already holds over an older lane', () => {
    const lanes = lanesOf(job('b', 100), job('c', 300));
    expect(pickLane(input(lanes, { resident: new Set(['c']) }))).toBe('c');
  });

  it('serves a starving lane next even while the current lane has work', () => {
    const lanes = lanesOf(job('b', 0), job('a', 40_000));
    expect(pickLane(input(lanes, { now: 40_001, current: 'a', maxWaitMs: 30_000 }))).toBe('b');
  });

  it('picks the lane with the oldest starving job when several starve', () => {
    const lanes = lanesOf(job('c', 5), job('b', 1), job('a', 50_000));
    expect(pickLane(input(lanes, { now: 60_000, current: 'a' }))).toBe('b');
  });

  it('never starts another model while one is in flight', () => {
    const lanes = lanesOf(job('b', 0));
    expect(pickLane(input(lanes, { current: 'a', running: 1, concurrency: 4 }))).toBeNull();
  });

  it('fills free slots with the current model only', () => {
    const lanes = lanesOf(job('a', 10), job('b', 0));
    expect(pickLane(input(lanes, { current: 'a', running: 1, concurrency: 2 }))).toBe('a');
  });

  it('stops feeding the current model once another lane starves, so the switch comes at the next boundary', () => {
    const lanes = lanesOf(job('a', 40_000), job('b', 0));
    expect(pickLane(input(lanes, { now: 40_001, current: 'a', running: 1, concurrency: 2 }))).toBeNull();
  });

  it('waits when every slot is taken or nothing waits', () => {
    expect(pickLane(input(lanesOf(job('a', 0)), { current: 'a', running: 1 }))).toBeNull();
    expect(pickLane(input(new Map()))).toBeNull();
  });
});
