/**
 * The residency timeline: which model was being served when (on which host, with several), with jobs as
 * bars, and the counters that show what drain-by-model saved. Derived from job history alone, so it
 * survives restarts.
 */
import type { Timeline, TimelineBar, TimelineSegment } from '../../shared/api.js';
import type { JobSummary } from '../../shared/types.js';

/** Ollama reports a few ms of load_duration for a model it already holds; more than this was a load. */
const LOAD_MS = 50;

/** `exists`: false for a lane whose model Ollama does not have; such jobs get no lane or bar. */
export function buildTimeline(
  jobs: readonly JobSummary[],
  from: number,
  to: number,
  exists: (lane: string) => boolean = () => true,
): Timeline {
  const ran = jobs
    .filter((j) => j.started_at !== null && exists(j.lane))
    .sort((a, b) => (a.started_at as number) - (b.started_at as number));
  const segments: TimelineSegment[] = [];
  const bars: TimelineBar[] = [];
  // Each host serves its own models: a segment continues while its host keeps serving that model.
  const lastOn = new Map<string | null, TimelineSegment>();
  let loads = 0;
  let loadMs = 0;
  for (const j of ran) {
    const start = j.started_at as number;
    const end = j.finished_at ?? to;
    const jobLoad = (j.load_duration ?? 0) / 1e6;
    const host = j.host ?? null;
    const last = lastOn.get(host);
    if (last && last.model === j.lane) {
      last.end = Math.max(last.end, end);
    } else {
      const segment = { model: j.lane, host, start, end, load_ms: jobLoad >= LOAD_MS ? Math.round(jobLoad) : 0 };
      segments.push(segment);
      lastOn.set(host, segment);
    }
    // A load can also happen inside a segment (Ollama evicted the model meanwhile): count every one.
    if (jobLoad >= LOAD_MS) {
      loads++;
      loadMs += jobLoad;
    }
    bars.push({ id: j.id, model: j.lane, host, source: j.source, state: j.state, start, end });
  }
  // First come, first served on the same arrivals, one model resident: a load at every model change.
  // Ids sort by creation, finer than the millisecond clock.
  const arrivals = ran.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let fcfs = 0;
  let resident: string | null = segments[0] && segments[0].load_ms === 0 ? segments[0].model : null;
  for (const j of arrivals) {
    if (j.lane !== resident) {
      fcfs++;
      resident = j.lane;
    }
  }
  return {
    from,
    to,
    segments,
    bars,
    counters: { loads, load_ms: Math.round(loadMs), fcfs_loads: fcfs, loads_avoided: Math.max(0, fcfs - loads) },
  };
}
