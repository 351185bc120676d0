/** `npm run demo`, spawned as a person runs it: help, ports, a data directory per port, and --traffic. */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { DeliveryRow, QueueSnapshot } from '../../shared/api.js';
import type { JobSummary } from '../../shared/types.js';
import { ROOT, killSpawned, spawnTs, type Spawned } from '../test-support/spawn-cli.js';
import { tempDir } from '../test-support/test-config.js';

afterAll(killSpawned);

const DEMO = path.join(ROOT, 'main/cli/demo.ts');

/** os.tmpdir() of the spawned demo, so its per-port folders land in a fresh place. */
function demoEnv(): NodeJS.ProcessEnv {
  return { TMPDIR: tempDir('foreman-demo-test-'), FOREMAN_DATA_DIR: '', OLLAMA_HOST: '', FOREMAN_LISTEN: '' };
}

function spawnDemo(args: string[], env: NodeJS.ProcessEnv): Promise<Spawned> {
  return spawnTs('main/cli/demo.ts', args, { env, ready: /foreman listening on (http:\/\/\S+)\n[^]*Ctrl-C stops (?:both|them all)\.\n/ });
}

/** Runs the demo to its end (it is expected to refuse to start). */
function demoToExit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', DEMO, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const dataLine = (out: string) => /\ndata: (.+)\n/.exec(out)?.[1];

describe('npm run demo', () => {
  it('--help says what the demo does and which options it takes, exit 0', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', DEMO, '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run demo -- \[--hosts N\] \[--traffic\] \[foreman serve options\]\n/);
    for (const text of ['--hosts N', '--traffic', '--listen HOST:PORT', '--data-dir DIR', 'npm run serve -- --help'])
      expect(r.stdout).toContain(text);
  });

  it('refuses a bad option in one line with exit code 2', async () => {
    const [r, hosts] = await Promise.all([demoToExit(['--concurrency', 'lots'], demoEnv()), demoToExit(['--hosts', '5'], demoEnv())]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('demo: --concurrency wants a whole number ≥ 1, got "lots" (npm run demo -- --help lists the options)\n');
    expect(hosts.code).toBe(2);
    expect(hosts.stderr).toBe('demo: --hosts wants a whole number from 1 to 4, got "5" (npm run demo -- --help lists the options)\n');
  });

  it('--hosts 2 fronts two simulators as one Ollama: the banner lists both, both are up, a model goes to one of them', async () => {
    const d = await spawnDemo(['--listen', '127.0.0.1:0', '--hosts', '2'], demoEnv());
    const sims = [...d.output().matchAll(/^ {2}host \d: (http:\/\/127\.0\.0\.1:\d+)$/gm)].map((m) => m[1]!);
    expect(sims).toHaveLength(2);
    const ids = sims.map((u) => new URL(u).host);
    await expect
      .poll(async () => ((await (await fetch(`${d.url}/foreman/queue`)).json()) as QueueSnapshot).hosts.map((h) => [h.id, h.state]), {
        timeout: 5000,
        interval: 100,
      })
      .toEqual(ids.map((id) => [id, 'up']));
    const res = await fetch(`${d.url}/api/chat`, {
      method: 'POST',
      body: '{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"hi [[sim:tokens=3]]"}]}',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { done: boolean }).done).toBe(true);
    const { jobs } = (await (await fetch(`${d.url}/foreman/jobs?limit=10`)).json()) as { jobs: JobSummary[] };
    expect(ids).toContain(jobs[0]?.host);
    d.proc.kill('SIGINT');
    expect(await d.exited).toBe(0);
  });

  it('two demos on two ports run side by side, each with its own data directory; a third on a taken port is told to use --listen', async () => {
    const env = demoEnv();
    const [p1, p2] = [await freePort(), await freePort()];
    const a = await spawnDemo(['--listen', `127.0.0.1:${p1}`], env);
    const b = await spawnDemo(['--listen', `127.0.0.1:${p2}`], env);
    expect(dataLine(a.output())).toBe(path.join(env.TMPDIR!, `foreman-demo-${p1}`));
    expect(dataLine(b.output())).toBe(path.join(env.TMPDIR!, `foreman-demo-${p2}`));
    // Longer answers by default: enough tokens to watch them stream.
    const answer = await fetch(`${a.url}/api/generate`, { method: 'POST', body: '{"model":"llama3.2","prompt":"hi","stream":false}' });
    expect(((await answer.json()) as { eval_count: number }).eval_count).toBe(100);
    expect((await fetch(`${b.url}/api/version`)).status).toBe(200);

    const again = await demoToExit(['--listen', `127.0.0.1:${p1}`], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `demo: another demo (pid ${a.proc.pid}) is already running on 127.0.0.1:${p1}, its window at ${a.url}/ui/; stop it, or start this one on another port: npm run demo -- --listen 127.0.0.1:${p1 + 1}\n`,
    );
    a.proc.kill('SIGINT');
    b.proc.kill('SIGTERM');
    expect([await a.exited, await b.exited]).toEqual([0, 0]);
  });

  it('names --listen when its port is taken by something else', async () => {
    const squatter = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    const port = (squatter.address() as net.AddressInfo).port;
    const r = await demoToExit(['--listen', `127.0.0.1:${port}`], demoEnv());
    squatter.close();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `demo: 127.0.0.1:${port} is already in use (a foreman, or another demo?); start the demo on another port: npm run demo -- --listen 127.0.0.1:${port + 1}\n`,
    );
  });

  it('--traffic keeps mixed work flowing (models, streams, /jobs with webhook retries), bounded and on loopback, until it stops', async () => {
    const d = await spawnDemo(['--listen', '127.0.0.1:0', '--traffic'], demoEnv());
    const dataDir = dataLine(d.output())!;
    expect(fs.existsSync(dataDir)).toBe(true);
    const get = async <T>(p: string): Promise<T> => (await (await fetch(`${d.url}${p}`)).json()) as T;
    let mostQueued = 0;
    await expect
      .poll(
        async () => {
          mostQueued = Math.max(mostQueued, (await get<{ queued: number }>('/foreman/health')).queued);
          const { jobs } = await get<{ jobs: JobSummary[] }>('/foreman/jobs?limit=200');
          const { deliveries } = await get<{ deliveries: DeliveryRow[] }>('/foreman/deliveries?limit=200');
          return {
            models: new Set(jobs.map((j) => j.lane)).size >= 3,
            streamed: jobs.some((j) => j.stream && j.state === 'succeeded'),
            sources: [...new Set(jobs.map((j) => j.source))].sort(),
            retried: deliveries.some((x) => x.attempt_count >= 2 && x.state === 'delivered'),
            loopbackOnly:
              deliveries.every((x) => x.url.startsWith('http://127.0.0.1:')) &&
              jobs.every((j) => j.client === null || /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)( |$)/.test(j.client)),
          };
        },
        // Retries take seconds, more on a busy machine; the poll ends as soon as everything showed.
        { timeout: 45_000, interval: 500 },
      )
      .toEqual({ models: true, streamed: true, sources: ['jobs', 'passthrough'], retried: true, loopbackOnly: true });
    // A burst of 8 at most waits; nothing piles up.
    expect(mostQueued).toBeLessThanOrEqual(12);
    d.proc.kill('SIGINT');
    expect(await d.exited).toBe(0);
    // A port-0 demo's folder was its own, and goes with it.
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 60_000);
});
