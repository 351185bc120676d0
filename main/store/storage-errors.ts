/**
 * SQLite errors about the disk or the file rather than the query: while they last the store cannot
 * commit, so callers must not promise what they could not write (ADR-0015).
 */
export interface StorageError extends Error {
  code: string;
}

const STORAGE = /^SQLITE_(FULL|IOERR|CORRUPT|NOTADB|READONLY|CANTOPEN|BUSY|LOCKED|NOMEM|PROTOCOL)/;
const DAMAGED = /^SQLITE_(CORRUPT|NOTADB)/;

export function isStorageError(err: unknown): err is StorageError {
  return err instanceof Error && typeof (err as StorageError).code === 'string' && STORAGE.test((err as StorageError).code);
}

/** The file is not a database, or a page of it is malformed. */
export function isDamaged(err: unknown): err is StorageError {
  return isStorageError(err) && DAMAGED.test(err.code);
}

/** A damaged database at start-up, in words that say what to do. foreman never starts on an empty one instead. */
export class DatabaseDamagedError extends Error {
  readonly code = 'FOREMAN_DATABASE_DAMAGED';
  constructor(
    readonly file: string,
    cause: StorageError,
  ) {
    super(
      `the database ${file} is damaged (${cause.code}: ${cause.message}); ` +
        `move it aside (with its -wal and -shm files) and start again to begin a new history, or restore it from a backup`,
      { cause },
    );
  }
}

/** What `/foreman/health` shows of the store's writes. */
export interface StorageHealth {
  /** False while the last write failed; true again after one succeeds. */
  writable: boolean;
  /** Passthrough history records dropped because they could not be written, since start. */
  lost_writes: number;
  /** The last storage error, e.g. `SQLITE_FULL: database or disk is full`. */
  last_error: string | null;
  last_error_at: number | null;
}

/** Keeps the store's write health: every commit that fails or succeeds reports here. */
export function createStorageHealth(now: () => number = Date.now) {
  const health: StorageHealth = { writable: true, lost_writes: 0, last_error: null, last_error_at: null };
  return {
    failed(err: Error & { code?: string }, lost = 0): void {
      health.writable = false;
      health.lost_writes += lost;
      health.last_error = `${err.code ?? err.name}: ${err.message}`;
      health.last_error_at = now();
    },
    succeeded(): void {
      health.writable = true;
    },
    snapshot(): StorageHealth {
      return { ...health };
    },
  };
}
