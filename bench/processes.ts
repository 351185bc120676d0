/**
 * Servers under test run in their own processes, so the load generator never shares an event loop
 * with what it measures. Every child started here is killed when the benchmark ends, however it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Server {
  name: string;
  url: string;
  pid: number;
  /** SIGTERM (so foreman can write a --cpu-prof profile), SIGKILL if it has not gone after 5 s. */
  stop(): Promise<void>;
  /** `kill -9`, resolved once the process is gone: a crash, not a shutdown. */
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

// A benchmark that throws or is interrupted must not leave servers listening or temp dirs behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `foreman-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** A free loopback port for servers that cannot pick their own and print it (nginx). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  /** A stdout line announcing the URL (first capture group), or a port to poll until it accepts. */
  ready: RegExp | { port: number };
  timeoutMs?: number;
}

/** Node with tsx as a loader, one process per server (no npx wrapper whose grandchild could outlive it). */
export function tsx(script: string, args: string[], nodeFlags: string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: [...nodeFlags, '--import', 'tsx', path.join(ROOT, script), ...args] };
}

export async function startServer(options: StartOptions): Promise<Server> {
  const child = spawn(options.command, options.args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`${options.name} did not start within ${options.timeoutMs ?? 20_000} ms`)),
        options.timeoutMs ?? 20_000,
      );
      const done = (err: Error | null, value?: string) => {
        clearTimeout(deadline);
        if (err) reject(err);
        else resolve(value!);
      };
      child.once('error', (err) => done(err));
      child.once('exit', (code, signal) => done(new Error(`${options.name} exited (${signal ?? code}) before it was ready`)));
      const { ready } = options;
      if (ready instanceof RegExp) {
        child.stdout!.on('data', () => {
          const m = ready.exec(output);
          if (m?.[1]) done(null, m[1]);
        });
      } else {
        const poll = async () => {
          while (child.exitCode === null) {
            if (await canConnect(ready.port)) return done(null, `http://127.0.0.1:${ready.port}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        void poll();
      }
    });
    return { name: options.name, url, pid: child.pid!, stop, kill };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- ${options.name} output ---\n${output}`, { cause: err });
  }
}

/** Stops servers in reverse order of start, as the app itself shuts down. */
export async function stopAll(servers: (Server | null | undefined)[]): Promise<void> {
  for (const server of [...servers].reverse()) await server?.stop();
}
