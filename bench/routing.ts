/**
 * What one placement decision costs with 8 hosts and 32 lanes: `decide` (main/scheduler/placement.ts)
 * on a realistic state (every host holding runners, some busy, every lane waiting), timed per call.
 * Target: p99 under 50 µs.
 *
 * `npx tsx bench/routing.ts` — env BENCH_N (decisions, default 20000).
 */
import { Lane } from '../main/scheduler/lanes.js';
import { decide, type HostView, type RunnerView } from '../main/scheduler/placement.js';
import { createGpuKnowledge, learnResident } from '../main/scheduler/gpu-knowledge.js';
import { prng } from '../main/sim/sim-text.js';
import { envInt, fixed, percentile, table, verdict } from './report.js';

const HOSTS = 8;
const LANES = 32;
const N = envInt('BENCH_N', 20_000);
const GB = 1e9;

const rand = prng(42);
const laneNames = Array.from({ length: LANES }, (_, i) => (i % 4 === 3 ? `model${i}:latest · num_ctx 8192` : `model${i}:latest`));

function state(): { lanes: Map<string, Lane>; hosts: HostView[] } {
  const lanes = new Map<string, Lane>();
  let seq = 0;
  for (const name of laneNames) {
    const lane = new Lane(name);
    for (let j = 0; j < 1 + Math.floor(rand() * 20); j++)
      lane.add({
        id: `job_${String(seq).padStart(12, '0')}`,
        lane: name,
        cls: rand() < 0.5 ? 0 : 1,
        priority: 0,
        enqueuedAt: Math.floor(rand() * 1000),
        seq: seq++,
      });
    lanes.set(name, lane);
  }
  const hosts: HostView[] = Array.from({ length: HOSTS }, (_, h) => {
    const knowledge = createGpuKnowledge({ budget: 24 * GB, maxLoaded: 4 });
    const runners = new Map<string, RunnerView>();
    for (let r = 0; r < 3; r++) {
      const key = laneNames[(h * 3 + r) % LANES]!;
      runners.set(key, { key, model: new Lane(key).model, inFlight: Math.floor(rand() * 2), keepAliveMs: 300_000, lastUsedAt: 0 });
    }
    for (const name of laneNames) learnResident(knowledge, [{ key: name, bytes: (2 + Math.floor(rand() * 8)) * GB }]);
    return { id: `gpu${h}:11434`, runners, knowledge };
  });
  return { lanes, hosts };
}

function measure(label: string, busy: boolean): number {
  const { lanes, hosts } = state();
  // Every runner full: no warm slot, so every lane's load is weighed on every host (the worst case).
  if (busy) for (const h of hosts) for (const r of h.runners.values()) (r as { inFlight: number }).inFlight = 1;
  const times: number[] = [];
  let placed = 0;
  // Steady state, as in a running foreman: the first decisions also pay for compiling decide itself.
  for (let i = 0; i < 2000; i++)
    decide({ now: 1000, lanes, hosts, concurrency: 1, holdMs: 10_000, maxWaitMs: 30_000, lastServed: new Map() });
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    const d = decide({ now: 2000 + i, lanes, hosts, concurrency: 1, holdMs: 10_000, maxWaitMs: 30_000, lastServed: new Map() });
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (d) placed++;
  }
  times.sort((a, b) => a - b);
  rows.push([label, fixed(percentile(times, 50), 1), fixed(percentile(times, 99), 1), fixed(times.at(-1)!, 1), placed]);
  return percentile(times, 99);
}

const rows: (string | number)[][] = [];
const p99 = Math.max(measure('runners with free slots', false), measure('every runner busy (loads weighed)', true));
console.log(`\n== routing: one placement decision, ${HOSTS} hosts, ${LANES} lanes, ${N} decisions each ==`);
console.log(table(['state', 'p50 µs', 'p99 µs', 'max µs', 'placed'], rows));
console.log(`worst p99 ${fixed(p99, 1)} µs (target < 50) → ${verdict(p99 < 50)}`);
if (p99 >= 50) process.exitCode = 1;
