/**
 * One foreman per data directory (ADR-0015). Two on one directory would both run the queued /jobs and
 * send each webhook twice.
 *
 * The lock is an operating-system file lock on `foreman.lock`, taken through SQLite's exclusive locking
 * mode (POSIX advisory locks on Linux and macOS, LockFileEx on Windows). The kernel drops it when the
 * process ends, however it ends, so a lock left by a dead process is never in the way and a reused pid
 * never blocks a start. Beside it, `foreman.pid` says who holds it (pid, and the URL once listening)
 * for the one-line message a second instance prints and for the desktop app's "open the running one".
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'foreman.lock';
export const HOLDER_FILE = 'foreman.pid';

export interface LockHolder {
  /** Null when the holder has not written it yet, or the pid recorded is no longer alive. */
  pid: number | null;
  /** Where the holder listens, once it does. */
  url: string | null;
}

export class DataDirLockedError extends Error {
  readonly code = 'FOREMAN_DATA_DIR_LOCKED';
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `another foreman (pid ${holder.pid ?? 'unknown'}) is using the data directory ${dir}; stop it, or start this one with another --data-dir`,
    );
  }
}

export interface DataDirLock {
  /** Records where this instance listens, for a second one to point to. */
  setUrl(url: string): void;
  /** Runs `fn` under the lock; if it throws, the lock is released before the error goes on. */
  holding<T>(fn: () => T): T;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the lock on `dir`, as far as its holder file says. */
export function readLockHolder(dir: string): LockHolder {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, HOLDER_FILE), 'utf8')) as Partial<LockHolder>;
    const pid = Number.isInteger(raw.pid) && alive(raw.pid as number) ? (raw.pid as number) : null;
    return { pid, url: pid !== null && typeof raw.url === 'string' ? raw.url : null };
  } catch {
    return { pid: null, url: null };
  }
}

function writeHolder(dir: string, holder: LockHolder): void {
  // Written whole and renamed, so a reader never sees half of it.
  const file = path.join(dir, HOLDER_FILE);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(holder)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** Takes the data directory, or throws DataDirLockedError naming the instance that has it. */
export function lockDataDir(dir: string): DataDirLock {
  fs.mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // In exclusive locking mode the lock taken here is kept after the commit, until close.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirLockedError(dir, readLockHolder(dir));
    throw err;
  }
  writeHolder(dir, { pid: process.pid, url: null });
  const lock: DataDirLock = {
    setUrl(url) {
      if (db.open) writeHolder(dir, { pid: process.pid, url });
    },
    holding(fn) {
      try {
        return fn();
      } catch (err) {
        lock.release();
        throw err;
      }
    },
    release() {
      if (!db.open) return;
      fs.rmSync(path.join(dir, HOLDER_FILE), { force: true });
      db.close();
    },
  };
  return lock;
}
