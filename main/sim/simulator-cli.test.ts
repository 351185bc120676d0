/**
 * The `ollama-sim` CLI as scripts use it: a ready line with the URL, options applied, clean exit on
 * SIGTERM; usage on --help; one line on stderr and exit code 2 for anything it cannot run with.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killSpawned, ROOT, spawnSimulator } from '../test-support/spawn-cli.js';
import { simFootprint } from './simulator.js';

afterEach(killSpawned);

/** Runs the CLI to its exit. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/sim/cli.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ollama-sim cli', () => {
  it('prints its URL when ready, applies its flags and exits on SIGTERM', async () => {
    const sim = await spawnSimulator([
      '--models',
      'llama3.2,tinyllama:1b',
      '--load-ms',
      '1',
      '--tokens-per-sec',
      '0',
      '--version',
      '9.9.9',
    ]);
    try {
      expect(sim.output()).toMatch(/^ollama-sim listening on http:\/\/127\.0\.0\.1:\d+\n$/);
      expect(await (await fetch(`${sim.url}/api/version`)).text()).toBe('{"version":"9.9.9"}');
      const tags = (await (await fetch(`${sim.url}/api/tags`)).json()) as { models: Array<{ name: string }> };
      expect(tags.models.map((m) => m.name)).toEqual(['llama3.2:latest', 'tinyllama:1b']);
    } finally {
      sim.proc.kill('SIGTERM');
    }
    expect(await sim.exited).toBe(0);
  });

  it('takes model sizes with --models and GPU memory with --vram-mb', async () => {
    const sim = await spawnSimulator([
      '--models',
      'alpha=1GiB,beta=1GiB,gamma=1GiB,nomic-embed-text=300MB',
      '--vram-mb',
      '3000',
      '--max-loaded',
      '3',
      '--load-ms',
      '1',
      '--tokens-per-sec',
      '0',
    ]);
    const tags = (await (await fetch(`${sim.url}/api/tags`)).json()) as { models: Array<{ name: string; size: number }> };
    expect(tags.models.map((m) => [m.name, m.size])).toEqual([
      ['alpha:latest', 1024 ** 3],
      ['beta:latest', 1024 ** 3],
      ['gamma:latest', 1024 ** 3],
      ['nomic-embed-text:latest', 300e6],
    ]);
    for (const model of ['alpha', 'beta', 'gamma']) {
      const r = await fetch(`${sim.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model, prompt: 'x', stream: false }) });
      expect(r.status).toBe(200);
      await r.text();
    }
    const ps = (await (await fetch(`${sim.url}/api/ps`)).json()) as { models: Array<{ size: number; size_vram: number }> };
    const each = simFootprint({ name: 'alpha', sizeBytes: 1024 ** 3 });
    expect(ps.models.map((m) => [m.size, m.size_vram])).toEqual([
      [each, each],
      [each, each],
    ]);
    const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as { loads: number; evictions: number };
    expect([stats.loads, stats.evictions]).toEqual([3, 1]);
  });

  it('--help prints every option with its value and default, and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect([code, stderr]).toEqual([0, '']);
    const flags = [
      '--listen',
      '--models',
      '--load-ms',
      '--tokens-per-sec',
      '--max-loaded',
      '--vram-mb',
      '--parallel',
      '--max-queue',
      '--keep-alive-ms',
      '--default-tokens',
      '--origins',
      '--version',
    ];
    for (const flag of flags) expect(stdout).toMatch(new RegExp(`^  ${flag} \\S.*\\n(?: {6}.*\\n)*? {6}.*Default: [^\\n]+\\.$`, 'm'));
    expect(stdout).toContain('-h, --help');
    expect((await runCli(['-h'])).stdout).toBe(stdout);
  });

  it.each([
    [['--load-ms', 'abc'], 'ollama-sim: --load-ms wants a number ≥ 0, got "abc"'],
    [['--tokens-per-sec', '-3'], 'ollama-sim: --tokens-per-sec wants a number ≥ 0 (or inf), got "-3"'],
    [['--max-loaded=0'], 'ollama-sim: --max-loaded wants a whole number ≥ 1, got "0"'],
    [['--models', 'llama3.2=2 parsecs'], 'ollama-sim: --models wants a size like 2GB or 300MB for llama3.2, got "2 parsecs"'],
    [['--bogus', '1'], 'ollama-sim: unknown option "--bogus" (see --help)'],
    [
      ['--listen', 'no-such-host.invalid:0'],
      /^ollama-sim: cannot resolve the --listen host "no-such-host\.invalid" \((ENOTFOUND|EAI_AGAIN|EAI_FAIL)\)$/,
    ],
  ])('%j: exits 2 with one line on stderr', async (args, line) => {
    const { code, stdout, stderr } = await runCli(args);
    const want = line instanceof RegExp ? expect.stringMatching(line) : line;
    expect([code, stdout, stderr.endsWith('\n'), stderr.trimEnd().split('\n')]).toEqual([2, '', true, [want]]);
  });

  it('exits 2 with one line when the port is taken, suggesting --listen 127.0.0.1:0', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, stdout, stderr } = await runCli(['--listen', `127.0.0.1:${port}`]);
      expect([code, stdout]).toEqual([2, '']);
      expect(stderr).toMatch(
        new RegExp(`^ollama-sim: port ${port} on 127\\.0\\.0\\.1 is taken\\b[^\\n]*--listen 127\\.0\\.0\\.1:0[^\\n]*\\n$`),
      );
    } finally {
      blocker.close();
    }
  });
});
