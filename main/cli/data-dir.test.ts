/** `foreman serve` and its data directory: one instance per directory, and a damaged database named. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, killSpawned, spawnForeman, spawnSimulator, type Spawned } from '../test-support/spawn-cli.js';
import { tempDir } from '../test-support/test-config.js';

let sim: Spawned;
beforeAll(async () => {
  sim = await spawnSimulator(['--load-ms', '10', '--tokens-per-sec', '0']);
});
afterAll(killSpawned);

/** Runs `foreman serve` to its end (it is expected to refuse to start). */
function serveToExit(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'main/cli/foreman.ts'),
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--upstream',
      sim.url,
      '--data-dir',
      dataDir,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const chat = (url: string) =>
  fetch(`${url}/api/chat`, { method: 'POST', body: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}' });

describe('one foreman per data directory', () => {
  it('a second instance on the same directory exits 1 with one line naming the first one’s pid and the directory', async () => {
    const dataDir = tempDir();
    const first = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', dataDir]);
    const second = await serveToExit(dataDir);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toBe(
      `foreman: another foreman (pid ${first.proc.pid}) is using the data directory ${dataDir}; stop it, or start this one with another --data-dir\n`,
    );
    // The first one was not disturbed.
    expect((await chat(first.url)).status).toBe(200);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('a lock left by a killed instance does not stop the next start, and no history is lost', async () => {
    const dataDir = tempDir();
    const first = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', dataDir]);
    const submitted = await fetch(`${first.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"api":"generate","request":{"model":"llama3.2","prompt":"hi"}}',
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    first.proc.kill('SIGKILL');
    await first.exited;
    // What the dead one left: its pid in the holder file.
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'foreman.pid'), 'utf8')).pid).toBe(first.proc.pid);
    const next = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', dataDir]);
    expect((await fetch(`${next.url}/jobs/${id}`)).status).toBe(200);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'foreman.pid'), 'utf8'))).toEqual({ pid: next.proc.pid, url: next.url });
    next.proc.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });
});

describe('a damaged database', () => {
  it('stops the start with one line naming the file and what to do, and leaves the file as it was', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'foreman.db');
    const junk = Buffer.from('these bytes are not a SQLite database. '.repeat(200));
    fs.writeFileSync(file, junk);
    const r = await serveToExit(dataDir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `foreman: the database ${file} is damaged (SQLITE_NOTADB: file is not a database); move it aside (with its -wal and -shm files) and start again to begin a new history, or restore it from a backup`,
      '',
    ]);
    expect(fs.readFileSync(file).equals(junk)).toBe(true);
    // Moved aside as told, foreman starts on a new history.
    fs.renameSync(file, `${file}.broken`);
    const f = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', dataDir]);
    expect((await chat(f.url)).status).toBe(200);
    f.proc.kill('SIGTERM');
    expect(await f.exited).toBe(0);
  });
});
