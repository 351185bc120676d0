/**
 * The public shape of an async job: what `GET /jobs/<id>` returns and what a webhook's `data` carries.
 */
import type { JobRecord } from '../store/store.js';
import type { JobEventType } from '../store/async-jobs.js';
import type { OutboxPayload } from '../store/deliveries.js';

export interface JobView {
  id: string;
  state: JobRecord['state'];
  api: JobRecord['api'];
  model: string;
  priority: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Exactly what Ollama returns for the same request with `stream: false`. */
  result: unknown;
  error: string | null;
  metadata: unknown;
  attempts: number;
  webhook: { url: string } | null;
  /** In a webhook whose result was too large to carry: where to fetch it. */
  result_url?: string;
  truncated?: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: JobRecord): JobView {
  return {
    id: job.id,
    state: job.state,
    api: job.api,
    model: job.model,
    priority: job.priority,
    created_at: iso(job.created_at) as string,
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    result: job.response === null ? null : (JSON.parse(job.response) as unknown),
    error: job.error,
    metadata: job.metadata === null ? null : (JSON.parse(job.metadata) as unknown),
    attempts: job.attempts,
    webhook: job.webhook_url ? { url: job.webhook_url } : null,
  };
}

export interface EventBodyOptions {
  /** foreman's own address, for `result_url`. */
  baseUrl(): string;
  /** Results whose JSON is larger than this travel as a `result_url` instead. */
  maxResultBytes: number;
}

// In a view, `metadata` is followed by `attempts`, and nothing after them can hold this text unescaped.
const METADATA_SLOT = '"metadata":null,"attempts":';

/**
 * The webhook body `{type, timestamp, data}`, stored and sent byte for byte on every attempt. The job's
 * metadata is left out as `null` at `metadataAt`: the outbox puts the job's stored metadata back there,
 * so it is stored once, not in every event (the bytes sent are the same as with it inline).
 */
export function eventBody(job: JobRecord, type: JobEventType, now: number, options: EventBodyOptions): OutboxPayload {
  const data = jobView({ ...job, metadata: null });
  if (job.response !== null && Buffer.byteLength(job.response) > options.maxResultBytes) {
    data.result = null;
    data.result_url = `${options.baseUrl()}/jobs/${job.id}`;
    data.truncated = true;
  }
  const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  return { body, metadataAt: job.metadata === null ? null : body.lastIndexOf(METADATA_SLOT) + '"metadata":'.length };
}
