import { describe, expect, it } from 'vitest';
import { Lane, type Waiting } from './lanes.js';
import { decide, victimsFor, type DecideInput, type RunnerView } from './placement.js';
import { createGpuKnowledge, learnResident } from './gpu-knowledge.js';

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

function runner(key: string, inFlight = 0, extra: Partial<RunnerView> = {}): [string, RunnerView] {
  return [key, { key, model: key.split(' · ')[0]!, inFlight, keepAliveMs: 300_000, lastUsedAt: 0, ...extra }];
}

type OneHost = Partial<Omit<DecideInput, 'hosts'>> & {
  runners?: Map<string, RunnerView>;
  knowledge?: ReturnType<typeof createGpuKnowledge>;
};

/** One host, `local`, holding `runners`. */
function input(lanes: Map<string, Lane>, over: OneHost = {}): DecideInput {
  const { runners = new Map(), knowledge = createGpuKnowledge(), ...rest } = over;
  return {
    now: 1000,
    lanes,
    hosts: [{ id: 'local', runners, knowledge }],
    concurrency: 1,
    maxWaitMs: 30_000,
    lastServed: new Map(),
    ...rest,
  };
}

const GB = 1e9;

describe('decide: one runner at a time (nothing known to fit together)', () => {
  it('keeps serving the loaded lane while it has work', () => {
    const lanes = lanesOf(job('a', 0), job('b', 10), job('a', 20));
    expect(decide(input(lanes, { runners: new Map([runner('a')]) }))).toEqual({
      host: 'local',
      lane: 'a',
      load: false,
      evicts: [],
      unload: [],
    });
  });

  it('loads the lane whose oldest job waited longest when the loaded one is empty, evicting the idle runner', () => {
    const lanes = lanesOf(job('b', 30), job('c', 20));
    expect(decide(input(lanes, { runners: new Map([runner('a')]) }))).toEqual({
      host: 'local',
      lane: 'c',
      load: true,
      evicts: ['a'],
      unload: [],
    });
  });

  it('prefers a runner Ollama already holds over an older lane', () => {
    const lanes = lanesOf(job('a', 0), job('c', 50));
    expect(decide(input(lanes, { runners: new Map([runner('c')]) }))?.lane).toBe('c');
  });

  it('never loads another model while the loaded one has work in flight or waiting', () => {
    const lanes = lanesOf(job('b', 0));
    expect(decide(input(lanes, { runners: new Map([runner('a', 1)]), concurrency: 4 }))).toBeNull();
    const withWaiting = lanesOf(job('b', 0), job('a', 5));
    expect(decide(input(withWaiting, { runners: new Map([runner('a', 1)]), concurrency: 1 }))).toBeNull();
  });

  it('fills free slots of the serving runner', () => {
    const lanes = lanesOf(job('a', 0), job('b', 1));
    expect(decide(input(lanes, { runners: new Map([runner('a', 1)]), concurrency: 2 }))?.lane).toBe('a');
  });

  it('serves a starving lane next, and stops feeding the runner it must evict until that is idle', () => {
    const lanes = lanesOf(job('a', 20_000), job('b', 5_000));
    const busy = input(lanes, { now: 40_001, runners: new Map([runner('a', 1)]), concurrency: 2 });
    expect(decide(busy)).toBeNull();
    const idle = input(lanes, { now: 40_001, runners: new Map([runner('a', 0)]), lastServed: new Map([['a', 40_000]]) });
    expect(decide(idle)).toEqual({ host: 'local', lane: 'b', load: true, evicts: ['a'], unload: [] });
  });

  it('measures starvation from when a lane was last served, not from its oldest job', () => {
    const lanes = lanesOf(job('a', 0), job('b', 0));
    // b was served 10 s ago: its 40 s old job is not starving yet; a has waited 40 s unserved.
    const d = decide(input(lanes, { now: 40_000, runners: new Map([runner('b')]), lastServed: new Map([['b', 30_000]]) }));
    expect(d?.lane).toBe('a');
    // The lane being served never starves: with a serving, b waits for its turn.
    const served = decide(
      input(lanesOf(job('a', 0), job('b', 35_000)), {
        now: 40_000,
        runners: new Map([runner('a', 0)]),
        lastServed: new Map([['a', 39_000]]),
      }),
    );
    expect(served?.lane).toBe('a');
  });

  it('picks the lane that waited longest when several starve', () => {
    const lanes = lanesOf(job('a', 30_000), job('b', 2_000), job('c', 1_000));
    expect(decide(input(lanes, { now: 40_000, runners: new Map([runner('a')]) }))?.lane).toBe('c');
  });

  it('waits when every slot is taken or nothing waits', () => {
    expect(decide(input(lanesOf(job('a', 0)), { runners: new Map([runner('a', 1)]) }))).toBeNull();
    expect(decide(input(new Map()))).toBeNull();
  });
});

describe('decide: runners that fit together', () => {
  it('runs a second lane beside a busy one when both fit in the configured budget', () => {
    const knowledge = createGpuKnowledge({ budget: 10 * GB });
    learnResident(knowledge, [{ key: 'a', bytes: 3 * GB }]);
    learnResident(knowledge, [{ key: 'b', bytes: 4 * GB }]);
    const lanes = lanesOf(job('a', 0), job('b', 1));
    const runners = new Map([runner('a', 1)]);
    expect(decide(input(lanes, { runners, knowledge }))).toEqual({ host: 'local', lane: 'b', load: true, evicts: [], unload: [] });
  });

  it('learns from /api/ps that two runners fit together without a configured budget', () => {
    const knowledge = createGpuKnowledge();
    const lanes = lanesOf(job('a', 0), job('b', 1));
    const runners = new Map([runner('a', 1)]);
    expect(decide(input(lanes, { runners, knowledge }))).toBeNull();
    learnResident(knowledge, [
      { key: 'a', bytes: 3 * GB },
      { key: 'b', bytes: 4 * GB },
    ]);
    expect(decide(input(lanes, { runners, knowledge }))).toEqual({ host: 'local', lane: 'b', load: true, evicts: [], unload: [] });
  });

  it('drains first where the load would evict a runner with waiting work, even if something else could go', () => {
    const knowledge = createGpuKnowledge({ budget: 8 * GB });
    learnResident(knowledge, [{ key: 'a', bytes: 5 * GB }]);
    learnResident(knowledge, [{ key: 'b', bytes: 5 * GB }]);
    const lanes = lanesOf(job('a', 10), job('b', 0));
    expect(decide(input(lanes, { runners: new Map([runner('a', 0)]), knowledge }))?.lane).toBe('a');
  });

  it('unloads a runner without work itself when the new one certainly does not fit, so Ollama cannot pick one with work', () => {
    const knowledge = createGpuKnowledge({ budget: 8 * GB });
    learnResident(knowledge, [{ key: 'embed', bytes: 0.3 * GB }]);
    learnResident(knowledge, [{ key: 'chat1', bytes: 5 * GB }]);
    learnResident(knowledge, [{ key: 'chat2', bytes: 5 * GB }]);
    const lanes = lanesOf(job('chat2', 0), job('embed', 5));
    // embed is idle but has waiting work; chat1 is idle with none: chat1 goes, embed stays.
    const runners = new Map([runner('embed', 0, { keepAliveMs: 1 }), runner('chat1', 0)]);
    expect(decide(input(lanes, { runners, knowledge }))).toEqual({ host: 'local', lane: 'embed', load: false, evicts: [], unload: [] });
    const busyEmbed = new Map([runner('embed', 1, { keepAliveMs: 1 }), runner('chat1', 0)]);
    expect(decide(input(lanes, { runners: busyEmbed, knowledge }))).toEqual({
      host: 'local',
      lane: 'chat2',
      load: true,
      evicts: ['chat1'],
      unload: ['chat1'],
    });
  });

  it('keeps at most --max-loaded runners', () => {
    const knowledge = createGpuKnowledge({ budget: 100 * GB, maxLoaded: 2 });
    for (const k of ['a', 'b', 'c']) learnResident(knowledge, [{ key: k, bytes: GB }]);
    const lanes = lanesOf(job('c', 0));
    const victims = victimsFor(lanes.get('c')!, new Map([runner('a', 0, { keepAliveMs: 600_000 }), runner('b', 0)]), knowledge);
    expect(victims.all.map((v) => v.key)).toEqual(['b']);
    expect(victims.unload.map((v) => v.key)).toEqual(['b']);
  });

  it('treats another runner option of a loaded model as a reload that replaces it', () => {
    const knowledge = createGpuKnowledge({ budget: 100 * GB });
    const lanes = lanesOf(job('llama3.2:latest · num_ctx 8192', 0));
    const d = decide(input(lanes, { runners: new Map([runner('llama3.2:latest')]), knowledge }));
    expect(d).toEqual({ host: 'local', lane: 'llama3.2:latest · num_ctx 8192', load: true, evicts: ['llama3.2:latest'], unload: [] });
  });
});

describe('decide: several hosts', () => {
  const host = (id: string, runners: [string, RunnerView][] = [], maxLoaded = 1) => ({
    id,
    runners: new Map(runners),
    knowledge: createGpuKnowledge({ maxLoaded }),
  });
  const many = (lanes: Map<string, Lane>, hosts: ReturnType<typeof host>[], over: Partial<DecideInput> = {}): DecideInput => ({
    now: 1000,
    lanes,
    hosts,
    concurrency: 1,
    maxWaitMs: 30_000,
    lastServed: new Map(),
    ...over,
  });

  it('loads a second model on the host with room instead of draining the first', () => {
    const lanes = lanesOf(job('a', 0), job('a', 1), job('b', 2));
    expect(decide(many(lanes, [host('gpu1', [runner('a', 1)]), host('gpu2')]))).toEqual({
      lane: 'b',
      host: 'gpu2',
      load: true,
      evicts: [],
      unload: [],
    });
  });

  it('prefers the host that already holds a runner', () => {
    const lanes = lanesOf(job('b', 0));
    expect(decide(many(lanes, [host('gpu1'), host('gpu2', [runner('b')])]))?.host).toBe('gpu2');
  });

  it('spreads a lane to a second host only when enough work waits to pay for the load', () => {
    const few = lanesOf(job('a', 0), job('a', 1), job('a', 2));
    expect(decide(many(few, [host('gpu1', [runner('a', 1)]), host('gpu2')]))).toBeNull();
    const lots = lanesOf(...Array.from({ length: 6 }, (_, i) => job('a', i)));
    expect(decide(many(lots, [host('gpu1', [runner('a', 1)]), host('gpu2')]))).toEqual({
      lane: 'a',
      host: 'gpu2',
      load: true,
      evicts: [],
      unload: [],
    });
  });

  it('serves a starving lane on whichever host can take it without waiting', () => {
    const lanes = lanesOf(job('a', 30_000), job('b', 0));
    const hosts = [host('gpu1', [runner('a', 1)]), host('gpu2', [runner('c', 0)])];
    expect(decide(many(lanes, hosts, { now: 40_000 }))).toEqual({ lane: 'b', host: 'gpu2', load: true, evicts: ['c'], unload: ['c'] });
  });
});
