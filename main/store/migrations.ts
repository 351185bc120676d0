/**
 * Schema migrations, applied in order by `user_version`. Append only: a released migration never changes.
 * Times are integer milliseconds since the epoch; Ollama's figures are integer nanoseconds.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     source TEXT NOT NULL CHECK (source IN ('passthrough', 'jobs')),
     route TEXT NOT NULL,
     api TEXT NOT NULL CHECK (api IN ('chat', 'generate', 'embed', 'embeddings')),
     model TEXT NOT NULL,
     lane TEXT NOT NULL,
     client TEXT,
     state TEXT NOT NULL CHECK (state IN ('queued', 'working', 'succeeded', 'failed', 'canceled')),
     priority INTEGER NOT NULL DEFAULT 0,
     stream INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     request TEXT NOT NULL,
     response TEXT,
     status_code INTEGER,
     error TEXT,
     total_duration INTEGER,
     load_duration INTEGER,
     prompt_eval_count INTEGER,
     prompt_eval_duration INTEGER,
     eval_count INTEGER,
     eval_duration INTEGER,
     CHECK ((state IN ('succeeded', 'failed', 'canceled')) = (finished_at IS NOT NULL))
   );
   CREATE INDEX jobs_by_state ON jobs (state, lane);
   CREATE INDEX jobs_by_finish ON jobs (finished_at) WHERE finished_at IS NOT NULL;`,
];
