/**
 * Storage faults against a real foreman on a real SQLite file: a full disk (SQLite's max_page_count
 * on the open file, so every write that needs a new page fails with SQLITE_FULL exactly as on a full
 * disk) and a damaged file at start-up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, tempDir, testConfig, type Stack } from '../test-support/harness.js';
import { startForeman } from '../app/foreman.js';
import { openStore } from '../store/store.js';
import type { StorageHealth } from '../store/storage-errors.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

interface Health {
  status: string;
  storage: StorageHealth;
}

const health = async (s: Stack) => (await (await fetch(`${s.url}/foreman/health`)).json()) as Health;
// A long prompt needs new pages in the database, so its history record cannot fit on a full disk.
const bigPrompt = (tag: string) => `${tag} ${'lorem ipsum '.repeat(2000)}`;
const generate = (s: Stack, tag: string) =>
  fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2', prompt: bigPrompt(tag), stream: false }) });
const submit = (s: Stack, tag: string) =>
  fetch(`${s.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api: 'generate', request: { model: 'llama3.2', prompt: bigPrompt(tag) } }),
  });

/** The database may not grow any more: the disk is full. */
function fillDisk(s: Stack): void {
  const db = s.foreman.store.db;
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
}

function freeDisk(s: Stack): void {
  s.foreman.store.db.pragma('max_page_count = 1073741823');
}

describe('a full disk', () => {
  it('passthrough keeps serving and counts the history it could not write; recording resumes when space returns', async () => {
    stack = await startStack();
    const s = stack;
    fillDisk(s);
    for (const tag of ['one', 'two', 'three']) {
      const res = await generate(s, tag);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { done: boolean }).done).toBe(true);
    }
    // What the write-behind still holds goes now, while the disk is full.
    s.foreman.store.flush();
    const degraded = await health(s);
    // At least each request's record of its arrival.
    expect(degraded.storage.lost_writes).toBeGreaterThanOrEqual(3);
    expect(degraded.status).toBe('degraded');
    expect(degraded.storage).toMatchObject({ writable: false, last_error: 'SQLITE_FULL: database or disk is full' });
    expect(typeof degraded.storage.last_error_at).toBe('number');

    freeDisk(s);
    const res = await generate(s, 'after');
    expect(res.status).toBe(200);
    s.foreman.store.flush();
    const after = await health(s);
    expect(after.status).toBe('ok');
    // The count stays: it is what was lost.
    expect(after.storage.lost_writes).toBe(degraded.storage.lost_writes);
    const kept = s.foreman.store.listJobs();
    expect(kept.map((j) => j.state)).toEqual(['succeeded']);
    expect(s.foreman.store.getJob(kept[0]!.id)!.request).toContain('after ');
  });

  it('POST /jobs answers 507 and creates nothing while it cannot commit, then 202 again', async () => {
    stack = await startStack();
    const s = stack;
    fillDisk(s);
    const refused = await submit(s, 'full');
    expect(refused.status).toBe(507);
    const body = (await refused.json()) as { error: string };
    expect(body.error).toMatch(/^foreman cannot store the job \(SQLITE_FULL: database or disk is full\); nothing was created/);
    expect(((await (await fetch(`${s.url}/jobs`)).json()) as { jobs: unknown[] }).jobs).toEqual([]);
    expect((await health(s)).storage).toMatchObject({ writable: false, lost_writes: 0 });

    freeDisk(s);
    const accepted = await submit(s, 'room');
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    await expect.poll(async () => ((await (await fetch(`${s.url}/jobs/${id}`)).json()) as { state: string }).state).toBe('succeeded');
    expect((await health(s)).storage.writable).toBe(true);
  });
});

describe('a damaged database at start-up', () => {
  it('is named with what to do, the file is left as it was, and nothing listens', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'foreman.db');
    const store = openStore({ file });
    for (let i = 0; i < 200; i++) {
      store.insertJob({
        id: `job_${String(i).padStart(4, '0')}`,
        source: 'passthrough',
        route: '/api/chat',
        api: 'chat',
        model: 'llama3.2',
        lane: 'llama3.2:latest',
        client: null,
        priority: 0,
        stream: false,
        createdAt: i,
        request: 'x'.repeat(500),
      });
    }
    store.close();
    // Every page after the first (the header and the schema) is overwritten: the tables are garbage.
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0x5a, pageSize);
    fs.writeFileSync(file, bytes);

    const config = testConfig('http://127.0.0.1:9', {}, dataDir);
    await expect(startForeman(config)).rejects.toThrow(
      `the database ${file} is damaged (SQLITE_CORRUPT: database disk image is malformed); move it aside (with its -wal and -shm files) and start again`,
    );
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    // The data directory was let go: moved aside, a new history starts in the same process.
    fs.renameSync(file, `${file}.broken`);
    const foreman = await startForeman(config);
    expect(foreman.store.listJobs()).toEqual([]);
    await foreman.close(0);
  });
});
