/**
 * The admin API and event stream the window uses (`/foreman/*`), shared by the core and the renderer.
 * Times are milliseconds since the epoch unless a name says otherwise.
 */
import type { JobSource, JobState, JobSummary } from './types.js';

/** One row of the queue or history: everything a list needs, nothing heavy. */
export type JobRow = JobSummary;

export interface LaneSnapshot {
  /**
   * The lane: a runner, that is the normalised model name and the runner options its requests set
   * (`llama3.2:latest · num_ctx 8192`); requests with other runner options wait in other lanes.
   */
  model: string;
  /** Ollama holds this runner in memory now (foreman's own loads at once, corrected by `/api/ps`). */
  resident: boolean;
  /** Being served now (or served last, and so next while it has work). */
  current: boolean;
  /** Waiting jobs in the order they will run. */
  queued: JobRow[];
  running: JobRow[];
  /** Oldest waiting job's arrival time, or null. */
  oldest_at: number | null;
  /** Measured figures for the ETA: mean load time (ms) and tokens per second, when known. */
  load_ms: number | null;
  tokens_per_s: number | null;
}

export interface QueueSnapshot {
  /** Last event id included in this snapshot: the event stream continues after it. */
  event_id: string;
  paused: boolean;
  current: string | null;
  lanes: LaneSnapshot[];
  /** Ollama's `/api/ps` names at the last look, and whether Ollama answered at all. */
  resident: string[];
  /** The memory strip: the GPU budget and who holds how much of it (the first host's). */
  memory: MemorySnapshot;
  /** Every Ollama host, in configuration order; one entry when foreman fronts a single Ollama. */
  hosts: HostRow[];
  upstream: { url: string; up: boolean };
  /** The `--manage-ollama` supervisor's state (`managed: false` when the user runs Ollama). */
  ollama: { status: OllamaStatus; managed: boolean; message?: string };
  now: number;
}

/** One Ollama host: whether it takes work, why not, and its memory strip. */
export interface HostRow {
  /** `host:port`, as `--upstream` named it. */
  id: string;
  url: string;
  /** `up` and `suspect` take work; `down` does not (probed again on a backoff). */
  state: 'up' | 'suspect' | 'down';
  /** Why it last failed, while it is not up. */
  reason: string | null;
  /** Since when it is in this state. */
  since: number;
  /** Requests foreman has in flight there. */
  running: number;
  memory: MemorySnapshot;
}

export interface MemorySnapshot {
  /** The GPU memory Ollama may fill: `--gpu-memory`, or the most foreman has seen it hold at once. */
  budget_bytes: number | null;
  budget_source: 'configured' | 'learned' | 'unknown';
  /** `--max-loaded`: runners resident at once. */
  max_loaded: number;
  /** Runners Ollama holds (or is loading for foreman), with their footprint from `/api/ps` once seen. */
  runners: { lane: string; model: string; bytes: number | null; in_flight: number }[];
}

export interface JobDetail extends JobRow {
  /** The request body as the client sent it (parsed JSON, or the raw text if it was not JSON). */
  request: unknown;
  /** The assembled answer once finished (what Ollama returns with `stream: false`). */
  response: unknown;
  /** While working: the text streamed so far. */
  partial: { content: string; thinking: string } | null;
  metadata: unknown;
  webhook_url: string | null;
  attempts: number;
}

/** `GET /foreman/deliveries` rows (times as ISO strings). */
export interface DeliveryRow {
  id: string;
  /** The same as `id`: the webhook-id every attempt of this event carries. */
  webhook_id: string;
  job_id: string;
  sequence: number;
  type: string;
  url: string;
  state: 'pending' | 'delivered' | 'exhausted' | 'disabled';
  attempt_count: number;
  next_attempt_at: string | null;
  created_at: string;
  finished_at: string | null;
  last_status: number | null;
  last_error: string | null;
  redelivery: boolean;
  /**
   * A pending delivery behind an earlier one of the same job that is still pending (a job's webhooks
   * go in order): that one, and when it is tried next. Null otherwise.
   */
  waiting_for: { id: string; type: string; next_attempt_at: string | null } | null;
}

export interface DeliveryAttemptRow {
  attempt: number;
  webhook_id: string;
  type: string;
  redelivery: boolean;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  request_headers: Record<string, string>;
  status: number | null;
  error_class: string | null;
  error: string | null;
  response_body: string | null;
  next_attempt_at: string | null;
}

/** `GET /foreman/deliveries/<id>`. */
export interface DeliveryDetail extends DeliveryRow {
  payload: unknown;
  attempts: DeliveryAttemptRow[];
}

export interface TimelineSegment {
  model: string;
  /** The host it ran on, with several hosts (one band per host and model). */
  host?: string | null;
  start: number;
  end: number;
  /** Time spent loading at the start of the segment (ms), if a load happened. */
  load_ms: number;
}

export interface TimelineBar {
  id: string;
  model: string;
  host?: string | null;
  source: JobSource;
  state: JobState;
  start: number;
  end: number;
}

export interface Timeline {
  from: number;
  to: number;
  segments: TimelineSegment[];
  bars: TimelineBar[];
  counters: {
    /** Model loads foreman caused in the window. */
    loads: number;
    /** Sum of load time (ms). */
    load_ms: number;
    /** Loads first-come-first-served would have caused for the same arrivals. */
    fcfs_loads: number;
    loads_avoided: number;
  };
}

/**
 * The Ollama supervisor's state (`--manage-ollama`): `external` means an Ollama foreman did not start
 * answers the upstream, `not-found` that the Ollama binary is missing.
 */
export type OllamaStatus = 'checking' | 'external' | 'starting' | 'running' | 'crashed' | 'restarting' | 'not-found' | 'stopped';

/** One line the supervised Ollama wrote (or the supervisor wrote about it); `GET /foreman/ollama/logs`. */
export interface OllamaLogLine {
  at: number;
  stream: 'stdout' | 'stderr' | 'supervisor';
  line: string;
}

/** Server-Sent Events on `/foreman/events`; each has an `id:` for `Last-Event-ID` resume. */
export type ForemanEvent =
  | { type: 'job'; job: JobRow }
  /** Text streamed since the last event for this job, and how many streamed chunks (tokens) it merges. */
  | { type: 'tokens'; id: string; content: string; thinking: string; count: number }
  | { type: 'model'; model: string; change: 'switch' | 'loaded'; load_ms?: number }
  | { type: 'delivery'; delivery: DeliveryRow }
  | { type: 'queue'; paused: boolean }
  /** An Ollama host went down or came back up (`host`: its id, with several hosts). */
  | { type: 'upstream'; up: boolean; host?: string }
  /** What Ollama holds changed (an `/api/ps` answer): normalised model names. */
  | { type: 'resident'; models: string[] }
  /**
   * The memory strips changed: a load, an eviction, an `/api/ps` answer, work starting or ending, a host
   * going down or up. `memory` is the first host's, `hosts` all of them.
   */
  | { type: 'memory'; memory: MemorySnapshot; hosts: HostRow[] }
  /** The supervised `ollama serve` changed state; `pid` while it runs, `message` says why. */
  | { type: 'ollama'; status: OllamaStatus; pid?: number; message?: string }
  /** The client missed events (restart, or too far behind): refetch the snapshot. */
  | { type: 'resync' };

export type ForemanEventType = ForemanEvent['type'];
