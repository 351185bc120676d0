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

export function spawnTs(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number }): Promise<Spawned> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
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
