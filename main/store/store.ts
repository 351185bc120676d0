/**
 * The only module that speaks SQL. Plain synchronous functions over prepared statements on one writer
 * connection; every state change is a conditional UPDATE so a job ends in exactly one terminal state.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { FIGURE_KEYS, type JobApi, type JobFigures, type JobSource, type JobState, type JobSummary } from '../../shared/types.js';
import { MIGRATIONS } from './migrations.js';
import { createDeliveryStore } from './deliveries.js';
import { createAsyncJobStore, type AsyncJobStoreOptions } from './async-jobs.js';
import { jobFilter } from './job-filter.js';
import { DatabaseDamagedError, createStorageHealth, isDamaged, isStorageError } from './storage-errors.js';

export interface NewJob {
  id: string;
  source: JobSource;
  route: string;
  api: JobApi;
  model: string;
  lane: string;
  client: string | null;
  priority: number;
  stream: boolean;
  createdAt: number;
  request: string;
}

export interface JobOutcome extends JobFigures {
  state: 'succeeded' | 'failed' | 'canceled';
  finishedAt: number;
  statusCode?: number | null;
  error?: string | null;
  /** The assembled answer (what Ollama returns for `stream: false`), as JSON text. */
  response?: string | null;
}

export interface JobRecord extends JobSummary {
  request: string;
  response: string | null;
  webhook_url: string | null;
  /** JSON text. */
  metadata: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  /** How many times the job started working (crash recovery re-queues it). */
  attempts: number;
  event_seq: number;
}

export interface ListJobsQuery {
  state?: JobState;
  lane?: string;
  source?: JobSource;
  limit?: number;
  /** Return jobs created before this id (ids sort by creation). */
  before?: string;
}

/** A passthrough job's row while its insert waits in the write-behind batch. */
interface BehindRow {
  job: NewJob;
  state: JobState;
  startedAt: number | null;
  keepAliveSent: string | null;
  host: string | null;
  /** The terminal record, once there is one. */
  outcome: JobOutcome | null;
}

export interface StoreOptions {
  /** Database file; `:memory:` for throwaway stores. */
  file: string;
  /** How long write-behind records may wait before they are committed together. @default 10 */
  writeBehindMs?: number;
}

const SUMMARY_COLUMNS = `id, source, route, api, model, lane, state, priority, stream, client, created_at, started_at,
  finished_at, status_code, error, host, ${FIGURE_KEYS.join(', ')}`;

type Row = Record<string, unknown>;

function toSummary(row: Row): JobSummary {
  const job = { ...row, stream: row.stream === 1 } as unknown as JobSummary & Record<string, unknown>;
  for (const k of FIGURE_KEYS) if (job[k] === null) delete job[k];
  return job;
}

export type Store = ReturnType<typeof openStore>;

export function openStore(options: StoreOptions) {
  const db = openDatabase(options.file);
  const health = createStorageHealth();

  const insert = db.prepare(`INSERT INTO jobs (id, source, route, api, model, lane, client, state, priority, stream,
      created_at, request) VALUES (@id, @source, @route, @api, @model, @lane, @client, 'queued', @priority, @stream,
      @createdAt, @request)`);
  const toWorking = db.prepare(`UPDATE jobs SET state = 'working', started_at = ? WHERE id = ? AND state = 'queued'`);
  const toTerminal = db.prepare(`UPDATE jobs SET state = @state, finished_at = @finishedAt, status_code = @statusCode,
      error = @error, response = @response, ${FIGURE_KEYS.map((f) => `${f} = @${f}`).join(', ')}
      WHERE id = @id AND state IN ('queued', 'working')`);
  const byId = db.prepare(`SELECT * FROM jobs WHERE id = ?`);
  const setKeepAliveSent = db.prepare(`UPDATE jobs SET keep_alive_sent = ? WHERE id = ?`);
  const setHost = db.prepare(`UPDATE jobs SET host = ? WHERE id = ?`);
  const interrupted = db.prepare(`UPDATE jobs SET state = 'failed', finished_at = ?, error = ?
      WHERE source = 'passthrough' AND state IN ('queued', 'working')`);
  // A job whose webhooks are still being retried stays, or pruning it would drop them (cascade).
  const prune = db.prepare(`DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.job_id = jobs.id AND d.state = 'pending')`);
  const ranSince = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE started_at IS NOT NULL
      AND (started_at >= ? OR finished_at IS NULL OR finished_at >= ?) ORDER BY started_at LIMIT ?`);

  // Write-behind: passthrough history is committed in batches, off the request path. A passthrough
  // client's connection dies with the process anyway, so a crash can only lose the last few
  // milliseconds of history for requests nobody could receive; /jobs writes never go this way.
  const writeBehindMs = options.writeBehindMs ?? 10;
  let behind: (() => void)[] = [];
  /** Records in `behind`, folded ones included: what a batch that cannot be written loses. */
  let behindRecords = 0;
  let behindTimer: NodeJS.Timeout | null = null;
  // Whether the batch adds rows. A full disk still takes some in-place updates, so only a batch that
  // grows the database proves that recording works again.
  let behindGrows = false;
  /**
   * Rows whose insert waits in `behind`, by id. A later record of the same job (working, keep_alive,
   * finished) is folded into the row instead of queued as an UPDATE, so a request that starts and ends
   * within one batch, as most do, is one INSERT of its final row: one statement and one set of index
   * entries instead of three (bench/request-parts.ts: the store's cost per request fell by about half).
   */
  const unwritten = new Map<string, BehindRow>();
  const insertFinal = db.prepare(`INSERT INTO jobs (id, source, route, api, model, lane, client, state, priority, stream,
      created_at, request, started_at, finished_at, status_code, error, response, keep_alive_sent, host, ${FIGURE_KEYS.join(', ')})
      VALUES (${Array(19 + FIGURE_KEYS.length)
        .fill('?')
        .join(', ')})`);
  function insertBehind(row: BehindRow): void {
    const { job, outcome: o } = row;
    const values: unknown[] = [
      job.id,
      job.source,
      job.route,
      job.api,
      job.model,
      job.lane,
      job.client,
      row.state,
      job.priority,
      job.stream ? 1 : 0,
      job.createdAt,
      job.request,
      row.startedAt,
      o?.finishedAt ?? null,
      o?.statusCode ?? null,
      o?.error ?? null,
      o?.response ?? null,
      row.keepAliveSent,
      row.host,
    ];
    for (const f of FIGURE_KEYS) values.push(o?.[f] ?? null);
    insertFinal.run(values);
  }
  const commitBehind = db.transaction((ops: (() => void)[]) => {
    for (const op of ops) op();
  });
  /**
   * A batch that cannot be written (disk full, I/O error) is dropped and counted, never thrown: this
   * runs from a timer, and passthrough keeps serving while its history cannot be kept. The next batch
   * tries again, so recording resumes as soon as the disk has room.
   */
  function flush(): void {
    if (behindTimer) {
      clearTimeout(behindTimer);
      behindTimer = null;
    }
    if (behind.length === 0 || !db.open) return;
    const ops = behind;
    const records = behindRecords;
    const grows = behindGrows;
    behind = [];
    behindRecords = 0;
    behindGrows = false;
    // Every row in the map is inserted by this batch (or lost with it): later records are UPDATEs again.
    unwritten.clear();
    try {
      commitBehind(ops);
      if (grows) health.succeeded();
    } catch (err) {
      health.failed(err as Error, records);
    }
  }
  function later(op: () => void, grows = false): void {
    behind.push(op);
    behindRecords++;
    behindGrows ||= grows;
    if (!behindTimer) {
      behindTimer = setTimeout(flush, writeBehindMs);
      behindTimer.unref();
    }
  }

  const deliveries = createDeliveryStore(db);

  const store = {
    db,
    deliveries,

    /** The async /jobs transitions, with their webhook outbox rows built by `eventBody`. */
    asyncJobs(eventBody: AsyncJobStoreOptions['eventBody']) {
      const jobs = createAsyncJobStore(db, deliveries, { eventBody, getJob: (id) => store.getJob(id) });
      const { submitMany } = jobs;
      // A submit that cannot commit is refused (507), and shows in the store's health like a lost write.
      const watched = (list: Parameters<typeof submitMany>[0]) => {
        try {
          const results = submitMany(list);
          health.succeeded();
          return results;
        } catch (err) {
          if (isStorageError(err)) health.failed(err);
          throw err;
        }
      };
      return Object.assign(jobs, { submitMany: watched });
    },

    /** Whether writes succeed, and how many passthrough records were lost while they did not. */
    storageHealth: health.snapshot,

    insertJob(job: NewJob): void {
      insert.run({ ...job, stream: job.stream ? 1 : 0 });
    },

    /** queued → working; false if the job is no longer queued (canceled meanwhile). */
    markWorking(id: string, at: number): boolean {
      return toWorking.run(at, id).changes === 1;
    },

    /** The keep_alive foreman sent in place of the client's, to hold the runner for its lane's next job. */
    noteKeepAliveSent(id: string, sent: string): void {
      setKeepAliveSent.run(sent, id);
    },

    /** The Ollama host the job was sent to (last one, if it was sent again after a host failed). */
    noteHost(id: string, host: string): void {
      setHost.run(host, id);
    },

    /** queued|working → terminal; false if the job already ended (one terminal state per job). */
    finishJob(id: string, outcome: JobOutcome): boolean {
      // An answer can finish after shutdown closed the database; the start-up sweep accounts for it.
      if (!db.open) return false;
      const params: Record<string, unknown> = {
        id,
        state: outcome.state,
        finishedAt: outcome.finishedAt,
        statusCode: outcome.statusCode ?? null,
        error: outcome.error ?? null,
        response: outcome.response ?? null,
      };
      for (const f of FIGURE_KEYS) params[f] = outcome[f] ?? null;
      return toTerminal.run(params).changes === 1;
    },

    getJob(id: string): JobRecord | undefined {
      flush();
      const row = byId.get(id) as Row | undefined;
      return row && (toSummary(row) as JobRecord);
    },

    listJobs(query: ListJobsQuery = {}): JobSummary[] {
      flush();
      const { where, params } = jobFilter(query);
      const sql = `SELECT ${SUMMARY_COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT ?`;
      params.push(Math.min(Math.max(query.limit ?? 100, 1), 1000));
      return (db.prepare(sql).all(...params) as Row[]).map(toSummary);
    },

    /** Jobs that ran (or run) since `since`, oldest first, for the timeline. */
    ranSince(since: number, limit = 5000): JobSummary[] {
      flush();
      return (ranSince.all(since, since, limit) as Row[]).map(toSummary);
    },

    /**
     * A passthrough client's connection dies with the process, so nobody can receive those answers:
     * they end `failed` at start-up rather than run again for no one.
     */
    failInterruptedPassthrough(at: number): number {
      flush();
      try {
        return interrupted.run(at, 'interrupted: foreman stopped before the request finished').changes;
      } catch (err) {
        // The first statement over the jobs table at start-up: a damaged file is named here.
        throw isDamaged(err) ? new DatabaseDamagedError(options.file, err) : err;
      }
    },

    /** Deletes finished jobs older than the retention window; returns how many. */
    pruneFinished(olderThan: number): number {
      flush();
      return deliveries.prune(olderThan) + prune.run(olderThan).changes;
    },

    /**
     * The same records, committed in a batch within `writeBehindMs`, in call order; records of a job
     * whose insert is in the same batch are folded into its row, with the same conditions.
     */
    later: {
      insertJob(job: NewJob): void {
        const row: BehindRow = { job, state: 'queued', startedAt: null, keepAliveSent: null, host: null, outcome: null };
        unwritten.set(job.id, row);
        later(() => insertBehind(row), true);
      },
      markWorking(id: string, at: number): void {
        const row = unwritten.get(id);
        if (!row) return later(() => store.markWorking(id, at));
        behindRecords++;
        if (row.state !== 'queued') return;
        row.state = 'working';
        row.startedAt = at;
      },
      noteKeepAliveSent(id: string, sent: string): void {
        const row = unwritten.get(id);
        if (!row) return later(() => store.noteKeepAliveSent(id, sent));
        behindRecords++;
        row.keepAliveSent = sent;
      },
      noteHost(id: string, host: string): void {
        const row = unwritten.get(id);
        if (!row) return later(() => store.noteHost(id, host));
        behindRecords++;
        row.host = host;
      },
      finishJob(id: string, outcome: JobOutcome): void {
        const row = unwritten.get(id);
        if (!row) return later(() => store.finishJob(id, outcome));
        behindRecords++;
        if (row.state !== 'queued' && row.state !== 'working') return;
        row.state = outcome.state;
        row.outcome = outcome;
      },
    },

    /** Commits write-behind records now. */
    flush,

    close(): void {
      if (!db.open) return;
      flush();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
  return store;
}

/** Opens and migrates the file; a file that is not a database, or a malformed one, is named and refused. */
function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives any process crash (kill -9 included); only an OS crash or power
    // loss can drop the last commits. That trade buys a fsync-free hot path (ADR-0013).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('wal_autocheckpoint = 1000');
    verifyPragmas(db, file);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw isDamaged(err) ? new DatabaseDamagedError(file, err) : err;
  }
}

function verifyPragmas(db: Database.Database, file: string): void {
  const want: Record<string, unknown> = {
    journal_mode: file === ':memory:' ? 'memory' : 'wal',
    synchronous: 1,
    foreign_keys: 1,
    busy_timeout: 5000,
  };
  for (const [name, value] of Object.entries(want)) {
    const got = db.pragma(name, { simple: true });
    if (got !== value) throw new Error(`SQLite pragma ${name} is ${String(got)}, expected ${String(value)} (${file})`);
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this foreman (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
