/** Spawns the real `foreman serve` (or the simulator CLI) and waits for its listening line. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Spawned {
  proc: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

const live = new Set<ChildProcess>();

/** Kills whatever a test spawned and did not stop itself (a failed assertion skips the test's own kill). */
export async function killSpawned(): Promise<void> {
  const waits = [...live].map(
    (p) =>
      new Promise((r) => {
        p.once('exit', r);
        p.kill('SIGKILL');
      }),
  );
  live.clear();
  await Promise.all(waits);
}

export function spawnTs(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<Spawned> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let out = '';
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`no ready line from ${script} within ${options.timeoutMs ?? 15000} ms:\n${out}`));
    }, options.timeoutMs ?? 15_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = options.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] ?? '', output: () => out, exited });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

export function spawnForeman(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Spawned> {
  return spawnTs('main/cli/foreman.ts', ['serve', ...args], { env, ready: /foreman listening on (http:\/\/\S+)\n[^]*OLLAMA_HOST=\S+\n/ });
}

export function spawnSimulator(args: string[] = []): Promise<Spawned> {
  return spawnTs('main/sim/cli.ts', ['--listen', '127.0.0.1:0', ...args], { ready: /ollama-sim listening on (http:\/\/\S+)\n/ });
}
