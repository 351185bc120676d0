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
  /** A request has finished on it since its load: Ollama holds it loaded, not loading. */
  loaded?: boolean;
  /** When its lane's current turn began (a load, or a start after the lane had starved). */
  turnStartedAt?: number;
}

/** One Ollama host as placement sees it: what it holds and what fits there. Down hosts are left out. */
export interface HostView {
  id: string;
  /** Runners the host holds (or is loading) as far as foreman knows, by key. */
  runners: ReadonlyMap<string, RunnerView>;
  knowledge: GpuKnowledge;
}

export interface DecideInput {
  now: number;
  /** Waiting jobs per runner key (lanes may be empty). */
  lanes: ReadonlyMap<string, Lane>;
  /** The hosts that are up, in the order to prefer on a tie. */
  hosts: readonly HostView[];
  concurrency: number;
  /**
   * A runner whose keep_alive is shorter than this unloads as soon as it is idle: a job waiting for it
   * goes to Ollama at once, beyond `concurrency`, and Ollama queues it in the runner, which then never
   * idles between two jobs of its lane. 0 turns this off.
   */
  holdMs?: number;
  /**
   * Send one job ahead to a loaded runner that is serving: Ollama queues it in the runner and starts it
   * the moment a slot frees, so the runner never idles for a round trip through foreman (Ollama alone
   * has no such gap). Not while the runner loads: both would wait on the load. @default false
   */
  sendAhead?: boolean;
  maxWaitMs: number;
  /** When each lane last had a job start or end (on any host). */
  lastServed: ReadonlyMap<string, number>;
  /**
   * A lane already loaded on one host loads on another only with at least this many jobs waiting: a
   * second load must pay for itself. @default 4
   */
  spreadMin?: number;
}

export interface Decision {
  lane: string;
  host: string;
  /** Ollama must load the runner for this start. */
  load: boolean;
  /** Runners that leave memory for this load (foreman's prediction). */
  evicts: string[];
  /** Of those, the models foreman unloads itself first (`Victims.unload`). */
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

export function victimsFor(
  lane: Lane,
  runners: ReadonlyMap<string, RunnerView>,
  knowledge: GpuKnowledge,
  lanes: ReadonlyMap<string, Lane> = new Map(),
): Victims {
  if (runners.has(lane.name)) return { all: [], unload: [] };
  const all: RunnerView[] = [];
  const unload: RunnerView[] = [];
  const keep: RunnerView[] = [];
  // Ollama keeps one runner per model: another variant of this model is always replaced (by Ollama).
  for (const r of runners.values()) (r.model === lane.model ? all : keep).push(r);
  keep.sort(evictionOrder(lanes));
  const incoming = { key: lane.name, model: lane.model };
  for (
    let verdict = fitVerdict(knowledge, [...keep, incoming]);
    keep.length > 0 && verdict !== 'fits';
    verdict = fitVerdict(knowledge, [...keep, incoming])
  ) {
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
  const { now, lanes, hosts, concurrency, maxWaitMs, lastServed } = input;
  const holdMs = input.holdMs ?? 0;
  const spreadMin = input.spreadMin ?? 4;
  const sendAhead = input.sendAhead ?? false;
  const slots = (r: RunnerView) => concurrency + (r.inFlight > 0 && (r.keepAliveMs < holdMs || (sendAhead && r.loaded)) ? 1 : 0);
  const flight = (h: HostView, key: string) => h.runners.get(key)?.inFlight ?? 0;
  const hasWork = (h: HostView, key: string) => flight(h, key) > 0 || (lanes.get(key)?.size ?? 0) > 0;
  // Lanes with work in flight, and lanes some host holds: asked for every lane, so built once.
  const servedLanes = new Set<string>();
  const heldLanes = new Set<string>();
  for (const h of hosts) {
    for (const r of h.runners.values()) {
      heldLanes.add(r.key);
      if (r.inFlight > 0) servedLanes.add(r.key);
    }
  }
  const served = (key: string) => servedLanes.has(key);

  // The lane that has waited longest past the bound, measured from when it was last served.
  let starving: Lane | null = null;
  let starvingWait = -Infinity;
  for (const lane of lanes.values()) {
    if (lane.size === 0 || served(lane.name)) continue;
    const wait = now - Math.max(lane.oldest(), lastServed.get(lane.name) ?? -Infinity);
    if (wait < maxWaitMs) continue;
    if (wait > starvingWait || (wait === starvingWait && starving && olderThan(lane, starving))) {
      starving = lane;
      starvingWait = wait;
    }
  }

  // Runners a starving lane waits for, per host: they take no new work until they are idle.
  let blocked: { host: string; keys: ReadonlySet<string> } | null = null;
  if (starving) {
    // A runner whose turn began less than the bound ago keeps it while it has work: otherwise, with
    // several lanes past the bound at once, each new turn would last one job and cost a load.
    const young = (h: HostView, v: RunnerView) => now - (v.turnStartedAt ?? -Infinity) < maxWaitMs && hasWork(h, v.key);
    let target: { host: HostView; victims: Victims; busy: number; young: number } | null = null;
    for (const h of hosts) {
      const victims = victimsFor(starving, h.runners, h.knowledge, lanes);
      const busy = victims.all.reduce((n, v) => n + v.inFlight, 0);
      const youngCount = victims.all.filter((v) => young(h, v)).length;
      const better =
        !target ||
        youngCount < target.young ||
        (youngCount === target.young && (busy < target.busy || (busy === target.busy && victims.all.length < target.victims.all.length)));
      if (better) target = { host: h, victims, busy, young: youngCount };
    }
    // Starvation overrides draining waiting work, never work in flight: busy victims finish first.
    if (target && target.busy === 0 && target.young === 0)
      return start(starving, target.host, target.victims, !target.host.runners.has(starving.name));
    if (target && target.young === 0) blocked = { host: target.host.id, keys: new Set(target.victims.all.map((v) => v.key)) };
  }

  // 1. Runners already serving, with a free slot; 2. runners a host holds idle. No load either way.
  let warm: { lane: Lane; host: HostView; busy: boolean } | null = null;
  for (const lane of lanes.values()) {
    if (lane.size === 0) continue;
    for (const h of hosts) {
      if (blocked?.host === h.id && blocked.keys.has(lane.name)) continue;
      const r = h.runners.get(lane.name);
      if (!r || r.inFlight >= slots(r)) continue;
      const busy = r.inFlight > 0;
      if (!warm || (busy && !warm.busy) || (busy === warm.busy && olderThan(lane, warm.lane))) warm = { lane, host: h, busy };
    }
  }
  if (warm) return { lane: warm.lane.name, host: warm.host.id, load: false, evicts: [], unload: [] };
  // While a starving lane waits for its victims to go idle, nothing new loads.
  if (starving) return null;

  // 3. A load that evicts nothing with work left: the lane whose oldest job waited longest, on the
  // host where it displaces least. A lane held elsewhere spreads only with enough work to pay for it.
  // Runners without work go first, so a load is possible on a host exactly when it fits beside the
  // runners that have work: one cheap check per lane and host, victims worked out only for a winner.
  const probes = hosts.map((h) => {
    const busy = [...h.runners.values()].filter((r) => hasWork(h, r.key));
    // The busy runners plus a slot for the incoming one, reused for every lane.
    return { busy, set: [...busy.map((r) => ({ key: r.key, model: r.model })), { key: '', model: '' }] };
  });
  // Oldest lane first: the first one that can load somewhere wins.
  const waiting = [...lanes.values()].filter((l) => l.size > 0).sort((a, b) => (olderThan(a, b) ? -1 : olderThan(b, a) ? 1 : 0));
  for (const lane of waiting) {
    if (heldLanes.has(lane.name) && lane.size < spreadMin) continue;
    let best: { host: HostView; victims: Victims } | null = null;
    const incoming = { key: lane.name, model: lane.model };
    hosts.forEach((h, i) => {
      const probe = probes[i] as (typeof probes)[number];
      if (h.runners.has(lane.name) || probe.busy.some((r) => r.model === lane.model)) return;
      probe.set[probe.set.length - 1] = incoming;
      if (fitVerdict(h.knowledge, probe.set) !== 'fits') return;
      const victims = victimsFor(lane, h.runners, h.knowledge, lanes);
      if (!best || victims.all.length < best.victims.all.length) best = { host: h, victims };
    });
    const found = best as { host: HostView; victims: Victims } | null;
    if (found) return start(lane, found.host, found.victims, true);
  }
  return null;
}

function start(lane: Lane, host: HostView, victims: Victims, load: boolean): Decision {
  return { lane: lane.name, host: host.id, load, evicts: victims.all.map((v) => v.key), unload: victims.unload.map((v) => v.model) };
}
