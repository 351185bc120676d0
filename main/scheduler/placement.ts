/**
 * Which lane to start a job from now: a pure function of the lanes, the runners Ollama holds, what fits
 * in the GPU, and the clock. The scheduler calls it once per free slot.
 *
 * - Runners that fit together run side by side, each with up to `concurrency` requests in flight.
 * - Where a start would make Ollama evict a runner that still has work (in flight or waiting), the
 *   loaded lane drains first: that is drain-by-model, and where nothing fits together it is all there is.
 * - Starvation bound: a lane not served for `maxWaitMs` (from the later of its oldest job's arrival and
 *   the last time it was served) goes next; the runners it must evict take no new work until they are
 *   idle. A lane being served is never starving, so saturated lanes take turns of at least `maxWaitMs`.
 */
import type { Lane } from './lanes.js';
import { fitVerdict, type GpuKnowledge } from './gpu-knowledge.js';

export interface RunnerView {
  key: string;
  model: string;
  /** foreman's requests running on it now. */
  inFlight: number;
  /** The keep_alive last sent for it (ms; Infinity = forever): Ollama evicts the shortest first. */
  keepAliveMs: number;
  lastUsedAt: number;
}

export interface DecideInput {
  now: number;
  /** Waiting jobs per runner key (lanes may be empty). */
  lanes: ReadonlyMap<string, Lane>;
  /** Runners Ollama holds (or is loading) as far as foreman knows, by key. */
  runners: ReadonlyMap<string, RunnerView>;
  knowledge: GpuKnowledge;
  concurrency: number;
  /**
   * A runner whose keep_alive is shorter than this unloads as soon as it is idle: a job waiting for it
   * goes to Ollama at once, beyond `concurrency`, and Ollama queues it in the runner, which then never
   * idles between two jobs of its lane. 0 turns this off.
   */
  holdMs?: number;
  maxWaitMs: number;
  /** When each lane last had a job start or end. */
  lastServed: ReadonlyMap<string, number>;
}

export interface Decision {
  lane: string;
  /** Ollama must load the runner for this start. */
  load: boolean;
  /** Runners that leave memory for this load (foreman's prediction). */
  evicts: string[];
  /** Of those, the ones foreman unloads itself first (`Victims.unload`). */
  unload: string[];
}

export interface Victims {
  /** Runners that must go for the lane's runner to load (none if it is already held). */
  all: RunnerView[];
  /**
   * Those foreman unloads itself before the load, because they certainly do not fit beside it: so
   * Ollama, which picks its own victim, never unloads a runner foreman meant to keep.
   */
  unload: RunnerView[];
}

/** Which runner goes first: one with no work at all, then idle ones, the shortest keep_alive, the least recently used. */
function evictionOrder(lanes: ReadonlyMap<string, Lane>): (a: RunnerView, b: RunnerView) => number {
  const busy = (r: RunnerView) => Number(r.inFlight > 0) * 2 + Number((lanes.get(r.key)?.size ?? 0) > 0);
  return (a, b) => busy(a) - busy(b) || a.keepAliveMs - b.keepAliveMs || a.lastUsedAt - b.lastUsedAt;
}

export function victimsFor(lane: Lane, runners: ReadonlyMap<string, RunnerView>, knowledge: GpuKnowledge, lanes: ReadonlyMap<string, Lane> = new Map()): Victims {
  if (runners.has(lane.name)) return { all: [], unload: [] };
  const all: RunnerView[] = [];
  const unload: RunnerView[] = [];
  const keep: RunnerView[] = [];
  // Ollama keeps one runner per model: another variant of this model is always replaced (by Ollama).
  for (const r of runners.values()) (r.model === lane.model ? all : keep).push(r);
  keep.sort(evictionOrder(lanes));
  const incoming = { key: lane.name, model: lane.model };
  for (let verdict = fitVerdict(knowledge, [...keep, incoming]); keep.length > 0 && verdict !== 'fits'; verdict = fitVerdict(knowledge, [...keep, incoming])) {
    const victim = keep.shift() as RunnerView;
    all.push(victim);
    if (verdict === 'does-not-fit') unload.push(victim);
  }
  return { all, unload };
}

/** Oldest first across lanes: earlier arrival, then earlier sequence number. */
function olderThan(a: Lane, b: Lane): boolean {
  const x = a.oldestJob();
  const y = b.oldestJob();
  if (!x || !y) return Boolean(x);
  return x.enqueuedAt < y.enqueuedAt || (x.enqueuedAt === y.enqueuedAt && x.seq < y.seq);
}

export function decide(input: DecideInput): Decision | null {
  const { now, lanes, runners, knowledge, concurrency, maxWaitMs, lastServed } = input;
  const holdMs = input.holdMs ?? 0;
  const slots = (r: RunnerView) => concurrency + (r.inFlight > 0 && r.keepAliveMs < holdMs ? 1 : 0);
  const inFlight = (key: string) => runners.get(key)?.inFlight ?? 0;
  const hasWork = (key: string) => inFlight(key) > 0 || (lanes.get(key)?.size ?? 0) > 0;

  // The lane that has waited longest past the bound, measured from when it was last served.
  let starving: Lane | null = null;
  let starvingWait = -Infinity;
  for (const lane of lanes.values()) {
    if (lane.size === 0 || inFlight(lane.name) > 0) continue;
    const wait = now - Math.max(lane.oldest(), lastServed.get(lane.name) ?? -Infinity);
    if (wait < maxWaitMs) continue;
    if (wait > starvingWait || (wait === starvingWait && starving && olderThan(lane, starving))) {
      starving = lane;
      starvingWait = wait;
    }
  }

  let blocked: ReadonlySet<string> = new Set();
  if (starving) {
    const victims = victimsFor(starving, runners, knowledge, lanes);
    // Starvation overrides draining waiting work, never work in flight: busy victims finish first.
    if (!victims.all.some((v) => v.inFlight > 0)) return start(starving, victims, !runners.has(starving.name));
    blocked = new Set(victims.all.map((v) => v.key));
  }

  // 1. Runners already serving, with a free slot; 2. runners Ollama holds idle. No load either way.
  let warm: Lane | null = null;
  let warmBusy = false;
  for (const lane of lanes.values()) {
    if (lane.size === 0 || blocked.has(lane.name)) continue;
    const r = runners.get(lane.name);
    if (!r || r.inFlight >= slots(r)) continue;
    const busy = r.inFlight > 0;
    if (!warm || (busy && !warmBusy) || (busy === warmBusy && olderThan(lane, warm))) {
      warm = lane;
      warmBusy = busy;
    }
  }
  if (warm) return { lane: warm.name, load: false, evicts: [], unload: [] };
  // While a starving lane waits for its victims to go idle, nothing new loads.
  if (starving) return null;

  // 3. A load that evicts nothing with work left: the lane whose oldest job waited longest.
  let best: Lane | null = null;
  let bestVictims: Victims = { all: [], unload: [] };
  for (const lane of lanes.values()) {
    if (lane.size === 0 || runners.has(lane.name)) continue;
    if (best && !olderThan(lane, best)) continue;
    const victims = victimsFor(lane, runners, knowledge, lanes);
    if (victims.all.some((v) => hasWork(v.key))) continue;
    best = lane;
    bestVictims = victims;
  }
  return best ? start(best, bestVictims, true) : null;
}

function start(lane: Lane, victims: Victims, load: boolean): Decision {
  return { lane: lane.name, load, evicts: victims.all.map((v) => v.key), unload: victims.unload.map((v) => v.model) };
}
