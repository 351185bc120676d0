import type { JobRow } from '../../shared/api.js';
import { pickFigures, type JobSummary } from '../../shared/types.js';

/** A stored job as a list row (what the window shows in queues and history). */
export function toJobRow(j: JobSummary): JobRow {
  return {
    id: j.id,
    source: j.source,
    route: j.route,
    api: j.api,
    model: j.model,
    lane: j.lane,
    state: j.state,
    priority: j.priority,
    stream: j.stream,
    client: j.client,
    created_at: j.created_at,
    started_at: j.started_at,
    finished_at: j.finished_at,
    status_code: j.status_code,
    error: j.error,
    host: j.host ?? null,
    ...pickFigures(j),
  };
}
