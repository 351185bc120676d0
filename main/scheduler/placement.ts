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
import { fitsTogether, type GpuKnowledge } from './gpu-knowledge.js';

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
  maxWaitMs: number;
  /** When each lane last had a job start or end. */
  lastServed: ReadonlyMap<string, number>;
}

export interface Decision {
  lane: string;
  /** Ollama must load the runner for this start. */
  load: boolean;
  /** Runners Ollama will unload to make room (foreman's prediction of Ollama's choice). */
  evicts: string[];
}

/** Ollama's order of eviction: idle runners first, then the shortest keep_alive, then least recently used. */
function evictionOrder(a: RunnerView, b: RunnerView): number {
  return Number(a.inFlight > 0) - Number(b.inFlight > 0) || a.keepAliveMs - b.keepAliveMs || a.lastUsedAt - b.lastUsedAt;
}

/** The runners that must go for `lane`'s runner to load (none if it is already held). */
export function victimsFor(lane: Lane, runners: ReadonlyMap<string, RunnerView>, knowledge: GpuKnowledge): RunnerView[] {
  if (runners.has(lane.name)) return [];
  const victims: RunnerView[] = [];
  const keep: RunnerView[] = [];
  // Ollama keeps one runner per model: another variant of this model is always replaced.
  for (const r of runners.values()) (r.model === lane.model ? victims : keep).push(r);
  keep.sort(evictionOrder);
  const incoming = { key: lane.name, model: lane.model };
  while (keep.length > 0 && !fitsTogether(knowledge, [...keep, incoming])) victims.push(keep.shift() as RunnerView);
  return victims;
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
    const victims = victimsFor(starving, runners, knowledge);
    // Starvation overrides draining waiting work, never work in flight: busy victims finish first.
    if (!victims.some((v) => v.inFlight > 0)) {
      return { lane: starving.name, load: !runners.has(starving.name), evicts: victims.map((v) => v.key) };
    }
    blocked = new Set(victims.map((v) => v.key));
  }

  // 1. Runners already serving, with a free slot; 2. runners Ollama holds idle. No load either way.
  let warm: Lane | null = null;
  let warmBusy = false;
  for (const lane of lanes.values()) {
    if (lane.size === 0 || blocked.has(lane.name)) continue;
    const r = runners.get(lane.name);
    if (!r || r.inFlight >= concurrency) continue;
    const busy = r.inFlight > 0;
    if (!warm || (busy && !warmBusy) || (busy === warmBusy && olderThan(lane, warm))) {
      warm = lane;
      warmBusy = busy;
    }
  }
  if (warm) return { lane: warm.name, load: false, evicts: [] };
  // While a starving lane waits for its victims to go idle, nothing new loads.
  if (starving) return null;

  // 3. A load that evicts nothing with work left: the lane whose oldest job waited longest.
  let best: Lane | null = null;
  let bestVictims: RunnerView[] = [];
  for (const lane of lanes.values()) {
    if (lane.size === 0 || runners.has(lane.name)) continue;
    if (best && !olderThan(lane, best)) continue;
    const victims = victimsFor(lane, runners, knowledge);
    if (victims.some((v) => hasWork(v.key))) continue;
    best = lane;
    bestVictims = victims;
  }
  return best ? { lane: best.name, load: true, evicts: bestVictims.map((v) => v.key) } : null;
}
