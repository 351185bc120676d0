import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, killSpawned, spawnForeman, spawnSimulator, type Spawned } from '../test-support/spawn-cli.js';
import { tempDir } from '../test-support/test-config.js';

let sim: Spawned;
beforeAll(async () => {
  sim = await spawnSimulator(['--load-ms', '10', '--tokens-per-sec', '0']);
});
afterAll(killSpawned);

describe('foreman serve', () => {
  it('prints its real address for --listen 127.0.0.1:0, serves, and exits 0 on SIGTERM', async () => {
    const f = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', tempDir()]);
    expect(f.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(f.url).not.toMatch(/:0$/);
    const res = await fetch(`${f.url}/api/chat`, { method: 'POST', body: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { done: boolean }).done).toBe(true);
    f.proc.kill('SIGTERM');
    expect(await f.exited).toBe(0);
  });

  it('on SIGTERM refuses new work but lets a running answer finish, then exits 0', async () => {
    const slowSim = await spawnSimulator(['--load-ms', '1', '--tokens-per-sec', '40']);
    const f = await spawnForeman(['--upstream', slowSim.url, '--listen', '127.0.0.1:0', '--data-dir', tempDir()]);
    const res = await fetch(`${f.url}/api/generate`, { method: 'POST', body: '{"model":"llama3.2","prompt":"go on [[sim:tokens=20]]"}' });
    const reader = res.body!.getReader();
    await reader.read();
    f.proc.kill('SIGTERM');
    await expect.poll(() => f.output()).toContain('SIGTERM');
    const refused = await fetch(`${f.url}/api/version`);
    expect(refused.status).toBe(503);
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    expect(rest.trim().split('\n').at(-1)).toContain('"done":true');
    expect(await f.exited).toBe(0);
  });

  it('takes every option from FOREMAN_* variables', async () => {
    const dataDir = tempDir();
    const f = await spawnForeman([], { FOREMAN_LISTEN: '127.0.0.1:0', FOREMAN_UPSTREAM: sim.url, FOREMAN_DATA_DIR: dataDir, FOREMAN_MAX_QUEUE: '7' });
    expect(f.output()).toContain(`data: ${dataDir}`);
    expect(f.output()).toContain(`upstream Ollama: ${sim.url}`);
    const version = await fetch(`${f.url}/api/version`);
    expect(version.status).toBe(200);
    f.proc.kill('SIGINT');
    expect(await f.exited).toBe(0);
  });

  it('says plainly when its port is taken', async () => {
    const first = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', tempDir()]);
    const port = new URL(first.url).port;
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli/foreman.ts'), 'serve', '--listen', `127.0.0.1:${port}`, '--upstream', sim.url, '--data-dir', tempDir()], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port} is already in use`);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('refuses a bad option with a clear message and exit code 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli/foreman.ts'), 'serve', '--concurrency', 'lots'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--concurrency wants a whole number');
  });

  it('lists every option with its environment variable in --help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli/foreman.ts'), 'serve', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const name of ['--listen', '--upstream', '--data-dir', '--concurrency', '--max-wait-ms', '--max-queue', '--webhook-secret', '--webhook-retries', '--manage-ollama', '--ollama-bin']) {
      expect(r.stdout).toContain(name);
    }
    expect(r.stdout).toContain('FOREMAN_MAX_WAIT_MS');
  });
});

describe('the foreman bin', () => {
  it('is built with a node shebang and answers --help', () => {
    const bin = path.join(ROOT, 'dist/main/cli/foreman.js');
    const r = spawnSync(process.execPath, [bin, 'serve', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('usage: foreman serve');
  });
});
