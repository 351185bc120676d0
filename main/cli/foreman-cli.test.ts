import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, killSpawned, spawnForeman, spawnSimulator, type Spawned } from '../test-support/spawn-cli.js';
import { tempDir } from '../test-support/test-config.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs `foreman` to its end with only the environment given (no OLLAMA_HOST or FOREMAN_* from the shell). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'OLLAMA_HOST' && !k.startsWith('FOREMAN_')));
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli/foreman.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...clean, ...env },
  });
}

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
    const res = await fetch(`${f.url}/api/chat`, {
      method: 'POST',
      body: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}',
    });
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
    const f = await spawnForeman([], {
      FOREMAN_LISTEN: '127.0.0.1:0',
      FOREMAN_UPSTREAM: sim.url,
      FOREMAN_DATA_DIR: dataDir,
      FOREMAN_MAX_QUEUE: '7',
    });
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
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'main/cli/foreman.ts'),
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--upstream',
        sim.url,
        '--data-dir',
        tempDir(),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port} is already in use`);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('refuses a bad option with a clear message and exit code 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli/foreman.ts'), 'serve', '--concurrency', 'lots'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--concurrency wants a whole number');
  });

  it('lists every option with its environment variable in --help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli/foreman.ts'), 'serve', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    for (const name of [
      '--listen',
      '--upstream',
      '--data-dir',
      '--concurrency',
      '--max-wait-ms',
      '--max-queue',
      '--webhook-secret',
      '--webhook-retries',
      '--manage-ollama',
      '--ollama-bin',
    ]) {
      expect(r.stdout).toContain(name);
    }
    expect(r.stdout).toContain('FOREMAN_MAX_WAIT_MS');
  });

  it('says in --help what each value is', () => {
    const r = cli(['serve', '--help']);
    expect(r.status).toBe(0);
    for (const line of [
      '--listen HOST:PORT',
      '--upstream URL',
      '--concurrency N',
      '--gpu-memory SIZE',
      '--max-wait-ms N',
      '--webhook-retries DURATION,…',
      '--data-dir DIR',
    ]) {
      expect(r.stdout).toContain(`  ${line}\n`);
    }
    expect(r.stdout).not.toMatch(/ VALUE\n/);
    expect(r.stdout).toMatch(/\n {2}DURATION +a number with ms, s, m or h/);
    expect(r.stdout).toContain('FOREMAN_MANAGE_OLLAMA=1/0, true/false, yes/no, on/off');
  });

  it.each([[['--version']], [['-v']], [['serve', '--version']]])('prints its version for %j', (args) => {
    const r = cli(args);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`foreman ${VERSION}\n`);
  });

  it.each([
    [['--upstream', 'ftp://10.0.0.2'], {}, '--upstream "ftp://10.0.0.2": foreman reaches Ollama over http or https, not ftp'],
    [['--upstream', 'localhost:11434x'], {}, '--upstream "localhost:11434x": the port "11434x" is not a number from 1 to 65535'],
    [[], { FOREMAN_UPSTREAM: 'http://my ollama' }, 'FOREMAN_UPSTREAM "http://my ollama": "my ollama" is not a host name or an IP address'],
    [
      [],
      { OLLAMA_HOST: '127.0.0.1:99999' },
      'OLLAMA_HOST "127.0.0.1:99999": the port "99999" is not a number from 1 to 65535 (foreman reads OLLAMA_HOST when --upstream is not given)',
    ],
    // What a client's OLLAMA_HOST says, left in the shell that starts foreman.
    [
      [],
      { OLLAMA_HOST: '127.0.0.1:11435' },
      `OLLAMA_HOST "127.0.0.1:11435" is foreman's own --listen address, so every request would come back to foreman (foreman reads OLLAMA_HOST when --upstream is not given); point --upstream at Ollama, e.g. --upstream 127.0.0.1:11434`,
    ],
    [[], { FOREMAN_MANAGE_OLLAMA: 'maybe' }, 'FOREMAN_MANAGE_OLLAMA wants 1/0, true/false, yes/no or on/off, got "maybe"'],
    [
      [],
      { FOREMAN_WEBHOOK_ALLOW_PRIVATE: 'enabled' },
      'FOREMAN_WEBHOOK_ALLOW_PRIVATE wants 1/0, true/false, yes/no or on/off, got "enabled"',
    ],
  ])('refuses %j %j in one line naming the option or variable', (args, env, message) => {
    const r = cli(['serve', '--data-dir', tempDir(), ...args], env);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`foreman: ${message}\n`);
  });

  it('reads boolean variables as 1/0, true/false, yes/no or on/off in any case; the private-network refusal names the option', async () => {
    const hook = { api: 'generate', request: { model: 'llama3.2', prompt: 'hi' }, webhook: { url: 'http://10.0.0.5:9/hook' } };
    const submit = (url: string) =>
      fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hook) });
    const off = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', tempDir()], {
      FOREMAN_WEBHOOK_ALLOW_PRIVATE: 'Off',
    });
    const refused = await submit(off.url);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error:
        'webhook url points at a forbidden address (10.0.0.5: private networks are off; allow them with --webhook-allow-private or FOREMAN_WEBHOOK_ALLOW_PRIVATE=1)',
    });
    off.proc.kill('SIGTERM');
    const on = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', tempDir()], {
      FOREMAN_WEBHOOK_ALLOW_PRIVATE: 'YES',
    });
    expect((await submit(on.url)).status).toBe(202);
    on.proc.kill('SIGTERM');
    expect([await off.exited, await on.exited]).toEqual([0, 0]);
  });

  it('says degraded in /foreman/health while Ollama does not answer, ok once it does', async () => {
    const gone = await spawnSimulator();
    gone.proc.kill('SIGTERM');
    await gone.exited;
    const f = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', gone.url, '--data-dir', tempDir()]);
    const health = async () => (await (await fetch(`${f.url}/foreman/health`)).json()) as { status: string; upstream_up: boolean };
    await expect.poll(health).toMatchObject({ status: 'degraded', upstream_up: false });
    f.proc.kill('SIGTERM');
    expect(await f.exited).toBe(0);
    const up = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', sim.url, '--data-dir', tempDir()]);
    expect(await (await fetch(`${up.url}/foreman/health`)).json()).toMatchObject({ status: 'ok', upstream_up: true });
    up.proc.kill('SIGTERM');
    expect(await up.exited).toBe(0);
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
