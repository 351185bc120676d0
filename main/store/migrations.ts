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
  // Async /jobs (ADR-0004) and their webhook outbox (ADR-0005).
  `ALTER TABLE jobs ADD COLUMN webhook_url TEXT;
   ALTER TABLE jobs ADD COLUMN metadata TEXT;
   ALTER TABLE jobs ADD COLUMN idempotency_key TEXT;
   ALTER TABLE jobs ADD COLUMN request_hash TEXT;
   ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE jobs ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
   CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
   CREATE INDEX jobs_by_source ON jobs (source, state);
   CREATE TABLE deliveries (
     id TEXT PRIMARY KEY,
     job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     sequence INTEGER NOT NULL,
     type TEXT NOT NULL,
     url TEXT NOT NULL,
     payload TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'exhausted', 'disabled')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER,
     created_at INTEGER NOT NULL,
     finished_at INTEGER,
     last_status INTEGER,
     last_error TEXT,
     redelivery INTEGER NOT NULL DEFAULT 0,
     UNIQUE (job_id, sequence),
     CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
   );
   CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
   CREATE INDEX deliveries_by_created ON deliveries (created_at);
   CREATE TABLE delivery_attempts (
     id INTEGER PRIMARY KEY,
     delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
     attempt INTEGER NOT NULL,
     redelivery INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     request_headers TEXT NOT NULL,
     status INTEGER,
     error_class TEXT,
     error TEXT,
     response_body TEXT,
     next_attempt_at INTEGER
   );
   CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, attempt);
   CREATE TABLE disabled_endpoints (url TEXT PRIMARY KEY, disabled_at INTEGER NOT NULL, reason TEXT NOT NULL);`,
  // Memory-aware scheduling (ADR-0016): the keep_alive foreman sent when it raised the client's to hold the
  // runner for the next job in its lane (null: forwarded untouched), and the Ollama host that ran the job.
  `ALTER TABLE jobs ADD COLUMN keep_alive_sent TEXT;
   ALTER TABLE jobs ADD COLUMN host TEXT;`,
  // A job's metadata is stored once, in its row: an outbox payload keeps `null` at metadata_at (a
  // character offset) where the metadata goes back when the delivery is read. Older rows are whole.
  `ALTER TABLE deliveries ADD COLUMN metadata_at INTEGER;`,
  // A /jobs job that could not reach Ollama waits and is tried again (ADR-0015): how many times it went back
  // to the queue for that, not before when it runs again, and when retrying ends (10 min after the first failure).
  `ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE jobs ADD COLUMN not_before INTEGER;
   ALTER TABLE jobs ADD COLUMN retry_until INTEGER;`,
];
