import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type NewJob, type Store } from './store.js';
import { MIGRATIONS } from './migrations.js';

const dirs: string[] = [];
const stores: Store[] = [];
function fresh(): { store: Store; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'foreman-store-'));
  dirs.push(dir);
  const file = path.join(dir, 'foreman.db');
  const store = openStore({ file });
  stores.push(store);
  return { store, file };
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function job(id: string, over: Partial<NewJob> = {}): NewJob {
  return {
    id,
    source: 'passthrough',
    route: '/api/chat',
    api: 'chat',
    model: 'llama3.2',
    lane: 'llama3.2:latest',
    client: '127.0.0.1',
    priority: 0,
    stream: true,
    createdAt: 1000,
    request: '{"model":"llama3.2"}',
    ...over,
  };
}

describe('store', () => {
  it('opens in WAL mode with the schema at the latest version', () => {
    const { store } = fresh();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });

  it('moves a job queued → working → succeeded once, keeping figures and the answer', () => {
    const { store } = fresh();
    store.insertJob(job('j1'));
    expect(store.getJob('j1')).toMatchObject({ state: 'queued', stream: true, started_at: null });
    expect(store.markWorking('j1', 1100)).toBe(true);
    expect(store.markWorking('j1', 1200)).toBe(false);
    expect(store.finishJob('j1', { state: 'succeeded', finishedAt: 1300, statusCode: 200, response: '{"done":true}', eval_count: 7 })).toBe(
      true,
    );
    expect(store.finishJob('j1', { state: 'canceled', finishedAt: 1400 })).toBe(false);
    const got = store.getJob('j1')!;
    expect(got).toMatchObject({ state: 'succeeded', started_at: 1100, finished_at: 1300, eval_count: 7, response: '{"done":true}' });
    expect(got).not.toHaveProperty('load_duration');
  });

  it('refuses a terminal state without a finish time (CHECK constraint)', () => {
    const { store } = fresh();
    store.insertJob(job('j1'));
    expect(() => store.db.prepare(`UPDATE jobs SET state = 'failed' WHERE id = 'j1'`).run()).toThrow(/CHECK/);
  });

  it('keeps history across reopen and marks interrupted passthrough jobs failed', () => {
    const { store, file } = fresh();
    store.insertJob(job('a'));
    store.insertJob(job('b'));
    store.markWorking('b', 1100);
    store.insertJob(job('c'));
    store.finishJob('c', { state: 'succeeded', finishedAt: 1200 });
    // Simulate a crash: no checkpoint, just drop the handle.
    store.db.close();
    stores.pop();
    const again = openStore({ file });
    stores.push(again);
    expect(again.failInterruptedPassthrough(5000)).toBe(2);
    expect(again.getJob('a')).toMatchObject({ state: 'failed', finished_at: 5000 });
    expect(again.getJob('c')).toMatchObject({ state: 'succeeded' });
  });

  it('lists newest first with filters and a cursor', () => {
    const { store } = fresh();
    for (const id of ['j1', 'j2', 'j3', 'j4']) store.insertJob(job(id, { lane: id === 'j2' ? 'other:latest' : 'llama3.2:latest' }));
    expect(store.listJobs().map((j) => j.id)).toEqual(['j4', 'j3', 'j2', 'j1']);
    expect(store.listJobs({ lane: 'llama3.2:latest', limit: 2 }).map((j) => j.id)).toEqual(['j4', 'j3']);
    expect(store.listJobs({ before: 'j3' }).map((j) => j.id)).toEqual(['j2', 'j1']);
  });

  it('prunes finished jobs past retention and never unfinished ones', () => {
    const { store } = fresh();
    store.insertJob(job('old'));
    store.finishJob('old', { state: 'succeeded', finishedAt: 100 });
    store.insertJob(job('new'));
    store.finishJob('new', { state: 'succeeded', finishedAt: 10_000 });
    store.insertJob(job('waiting'));
    expect(store.pruneFinished(5000)).toBe(1);
    expect(store.getJob('old')).toBeUndefined();
    expect(store.getJob('waiting')).toBeDefined();
  });

  it('checkpoints the WAL on a clean close', () => {
    const { store, file } = fresh();
    store.insertJob(job('j1'));
    store.close();
    stores.pop();
    expect(fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('write-behind: a job that starts and ends within one batch is one insert of its final row', () => {
    const { store } = fresh();
    const changes = () => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changes();
    store.later.insertJob(job('a'));
    store.later.markWorking('a', 1100);
    store.later.noteKeepAliveSent('a', '10m');
    store.later.noteHost('a', '127.0.0.1:11434');
    store.later.finishJob('a', { state: 'succeeded', finishedAt: 1300, statusCode: 200, response: '{"done":true}', eval_count: 7 });
    // The conditions of the statements hold: no second start, no second end.
    store.later.markWorking('a', 1200);
    store.later.finishJob('a', { state: 'canceled', finishedAt: 1400 });
    store.later.insertJob(job('b'));
    store.later.finishJob('b', { state: 'canceled', finishedAt: 1150, error: 'client disconnected while queued' });
    store.flush();
    expect(changes() - before).toBe(2);
    expect(store.getJob('a')).toMatchObject({
      state: 'succeeded',
      started_at: 1100,
      finished_at: 1300,
      status_code: 200,
      response: '{"done":true}',
      eval_count: 7,
      keep_alive_sent: '10m',
      host: '127.0.0.1:11434',
      stream: true,
      request: '{"model":"llama3.2"}',
    });
    expect(store.getJob('a')).not.toHaveProperty('load_duration');
    expect(store.getJob('b')).toMatchObject({
      state: 'canceled',
      started_at: null,
      finished_at: 1150,
      error: 'client disconnected while queued',
    });
  });

  it('write-behind: records of a job committed in an earlier batch are updates, in order', () => {
    const { store } = fresh();
    store.later.insertJob(job('a'));
    store.flush();
    expect(store.getJob('a')).toMatchObject({ state: 'queued', started_at: null });
    store.later.markWorking('a', 1100);
    store.later.finishJob('a', { state: 'failed', finishedAt: 1300, statusCode: 502, error: 'broke' });
    store.later.markWorking('a', 1200);
    expect(store.getJob('a')).toMatchObject({ state: 'failed', started_at: 1100, finished_at: 1300, status_code: 502, error: 'broke' });
  });

  it('write-behind: a batch that cannot be written counts every record it held, folded ones too', () => {
    const { store } = fresh();
    store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`);
    store.later.insertJob(job('a', { request: 'x'.repeat(20_000) }));
    store.later.markWorking('a', 1100);
    store.later.finishJob('a', { state: 'succeeded', finishedAt: 1300 });
    store.flush();
    expect(store.storageHealth()).toMatchObject({ writable: false, lost_writes: 3 });
    // The row went with its batch: a later record finds nothing to update, and nothing is half-written.
    store.db.pragma('max_page_count = 1073741823');
    store.later.finishJob('a', { state: 'canceled', finishedAt: 1400 });
    store.flush();
    expect(store.getJob('a')).toBeUndefined();
  });

  it('refuses to open a database from a newer foreman', () => {
    const { store, file } = fresh();
    store.db.pragma('user_version = 99');
    store.close();
    stores.pop();
    expect(() => openStore({ file })).toThrow(/newer/);
  });
});
