/**
 * kill -9 in the middle of work, then a restart on the same data dir: no accepted job and no terminal
 * webhook may be lost. Spawns the real CLI, twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { killSpawned, spawnForeman, spawnSimulator } from '../test-support/spawn-cli.js';
import { tempDir } from '../test-support/test-config.js';
import { startReceiver } from '../test-support/webhook-receiver.js';

afterAll(killSpawned);

describe('crash recovery', () => {
  it('after kill -9 mid-run, every accepted job finishes and every terminal webhook arrives', async () => {
    const sim = await spawnSimulator(['--load-ms', '5', '--tokens-per-sec', '200']);
    const hook = await startReceiver();
    const dataDir = tempDir();
    const args = ['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', dataDir, '--webhook-retries', '50ms,50ms,50ms'];
    const first = await spawnForeman(args);
    // The receiver fails every first attempt, so deliveries are still pending when the process dies.
    const seen = new Set<string>();
    hook.respond = (r) => (seen.has(r.id) ? 200 : (seen.add(r.id), 503));
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${first.url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          api: 'generate',
          request: { model: i % 2 ? 'llama3.2' : 'gemma3:1b', prompt: `job ${i} [[sim:tokens=20]]` },
          webhook: { url: hook.url },
        }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    // Die while something is working.
    await expect
      .poll(async () => ((await (await fetch(`${first.url}/jobs?state=working`)).json()) as { jobs: unknown[] }).jobs.length)
      .toBe(1);
    first.proc.kill('SIGKILL');
    await first.exited;

    const db = new Database(path.join(dataDir, 'foreman.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare(`SELECT COUNT(*) FROM jobs WHERE source = 'jobs'`).pluck().get() as number).toBe(12);
    db.close();

    const second = await spawnForeman(args);
    for (const id of ids) {
      await expect
        .poll(async () => ((await (await fetch(`${second.url}/jobs/${id}`)).json()) as { state: string }).state, { timeout: 10_000 })
        .toBe('succeeded');
    }
    const terminal = (id: string) => hook.forJob(id).filter((r) => r.body.type === 'job.succeeded');
    for (const id of ids) await expect.poll(() => terminal(id).length, { timeout: 10_000 }).toBeGreaterThan(1);
    for (const id of ids) {
      // At least once, and every copy of one event carries the same webhook-id and bytes.
      const copies = terminal(id);
      expect(new Set(copies.map((c) => c.id)).size).toBe(1);
      expect(new Set(copies.map((c) => c.raw)).size).toBe(1);
    }
    // The job that was working when the process died ran again.
    const attempts = await Promise.all(
      ids.map(async (id) => ((await (await fetch(`${second.url}/jobs/${id}`)).json()) as { attempts: number }).attempts),
    );
    expect(attempts.filter((a) => a === 2)).toHaveLength(1);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await hook.close();
  });
});
