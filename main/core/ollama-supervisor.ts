/**
 * Keeps a local `ollama serve` alive for `--manage-ollama`: probes the upstream, starts Ollama bound to
 * the upstream's address when nothing answers there, restarts it with backoff when it dies, and keeps
 * its last log lines. An Ollama someone else started is left alone (`external`).
 */
import { spawn as nodeSpawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { OllamaLogLine, OllamaStatus } from '../../shared/api.js';
import type { UpstreamAddress } from '../ollama/ollama-host.js';
import { isLoopbackAddress } from '../ollama/ollama-host.js';
import { findExecutable } from './find-executable.js';

export type { OllamaLogLine, OllamaStatus };

/** What the supervisor needs of a child process (Node's ChildProcess has it; tests pass a fake). */
export interface SupervisedChild extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export type SpawnChild = (command: string, args: string[], options: { env: NodeJS.ProcessEnv }) => SupervisedChild;

export interface SupervisorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface OllamaStatusChange {
  status: OllamaStatus;
  pid?: number;
  message?: string;
}

export interface OllamaSupervisorOptions {
  upstream: UpstreamAddress;
  /** A path, or a name looked up on PATH. @default 'ollama' */
  bin?: string;
  /** True when something answers at the upstream (the Ollama client's `isUp`). */
  isUp: () => Promise<boolean>;
  spawn?: SpawnChild;
  /** Resolves `bin` to an executable path, or null. @default findExecutable (PATH lookup) */
  which?: (bin: string) => Promise<string | null>;
  clock?: SupervisorClock;
  /** Base environment for the child; `OLLAMA_HOST` is set on top. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Waits between a crash and the next start; the last one repeats. @default [500, 1000, 2000, 5000, 10000, 30000] */
  backoffMs?: readonly number[];
  /** A child that ran this long before dying starts the backoff over. @default 60000 */
  stableMs?: number;
  /** Log lines kept. @default 200 */
  logLines?: number;
  /** How often to ask whether a starting Ollama answers yet. @default 250 */
  pollMs?: number;
  /** A started Ollama that has not answered by then is killed and counted as a crash. @default 60000 */
  startTimeoutMs?: number;
  /** How often to check that an external Ollama is still there (if it goes, ours takes over). @default 5000 */
  watchMs?: number;
  onStatus?: (change: OllamaStatusChange) => void;
}

const realClock: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const defaultSpawn: SpawnChild = (command, args, options) =>
  nodeSpawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });

const MAX_LINE = 2000;

export function createOllamaSupervisor(options: OllamaSupervisorOptions) {
  const { upstream } = options;
  const isUp = () => options.isUp().catch(() => false);
  const bin = options.bin ?? 'ollama';
  const spawn = options.spawn ?? defaultSpawn;
  const which = options.which ?? ((b: string) => findExecutable(b, options.env ?? process.env));
  const clock = options.clock ?? realClock;
  const backoff = options.backoffMs?.length ? options.backoffMs : [500, 1000, 2000, 5000, 10000, 30000];
  const stableMs = options.stableMs ?? 60_000;
  const maxLines = options.logLines ?? 200;
  const pollMs = options.pollMs ?? 250;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const watchMs = options.watchMs ?? 5000;
  const local = upstream.origin.startsWith('http://') && isLoopbackAddress(new URL(upstream.origin).hostname);

  let status: OllamaStatus = 'stopped';
  let message: string | undefined;
  let child: SupervisedChild | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let runningSince: number | null = null;
  /** Bumped by start() and stop(): async steps of an older run see it changed and give up. */
  let generation = 0;
  const lines: OllamaLogLine[] = [];

  function log(stream: OllamaLogLine['stream'], line: string): void {
    lines.push({ at: clock.now(), stream, line: line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line });
    if (lines.length > maxLines) lines.splice(0, lines.length - maxLines);
  }

  function set(next: OllamaStatus, why?: string): void {
    status = next;
    message = why;
    log('supervisor', why ? `${next}: ${why}` : next);
    const change: OllamaStatusChange = { status: next };
    if (child?.pid !== undefined && (next === 'starting' || next === 'running')) change.pid = child.pid;
    if (why) change.message = why;
    options.onStatus?.(change);
  }

  function later(fn: () => void, ms: number): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  }

  function cancelTimer(): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  }

  function readLines(stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop() ?? '';
      for (const p of parts) if (p) log(name, p);
    });
    stream.on('end', () => {
      if (rest) log(name, rest);
      rest = '';
    });
  }

  /** First look: whose Ollama is it, and can we start one? */
  async function probe(gen: number, announce: boolean): Promise<void> {
    if (announce) set('checking');
    const up = await isUp();
    if (gen !== generation) return;
    if (up) {
      set('external', `an Ollama foreman did not start answers at ${upstream.origin}`);
      return watchExternal(gen);
    }
    if (!local) return set('stopped', `${upstream.origin} is not on this machine, so foreman cannot start Ollama there`);
    const file = await which(bin);
    if (gen !== generation) return;
    if (!file)
      return set(
        'not-found',
        `no Ollama binary: "${bin}" is not ${bin.includes('/') || bin.includes('\\') ? 'an executable file' : 'on PATH'}`,
      );
    launch(gen, file);
  }

  function watchExternal(gen: number): void {
    later(() => {
      void isUp().then((up) => {
        if (gen !== generation) return;
        if (up) return watchExternal(gen);
        log('supervisor', 'the external Ollama went away');
        void probe(gen, true);
      });
    }, watchMs);
  }

  function launch(gen: number, file: string): void {
    log('supervisor', `starting ${file} serve with OLLAMA_HOST=${upstream.host}`);
    let proc: SupervisedChild;
    try {
      proc = spawn(file, ['serve'], { env: { ...(options.env ?? process.env), OLLAMA_HOST: upstream.host } });
    } catch (err) {
      return set('not-found', `cannot start ${file}: ${(err as Error).message}`);
    }
    child = proc;
    runningSince = null;
    readLines(proc.stdout, 'stdout');
    readLines(proc.stderr, 'stderr');
    let gone = false;
    proc.once('error', (err: NodeJS.ErrnoException) => {
      if (gone) return;
      gone = true;
      if (child === proc) child = null;
      if (gen !== generation) return;
      if (err.code === 'ENOENT' || err.code === 'EACCES') set('not-found', `cannot start ${file}: ${err.message}`);
      else crashed(gen, `cannot start ${file}: ${err.message}`);
    });
    proc.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      if (gone) return;
      gone = true;
      if (child === proc) child = null;
      log('supervisor', `ollama (pid ${proc.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`}`);
      if (gen !== generation) return;
      const last = [...lines].reverse().find((l) => l.stream === 'stderr')?.line;
      crashed(gen, `exited ${signal ? `on ${signal}` : `with code ${code}`}${last ? `: ${last}` : ''}`);
    });
    set('starting', proc.pid === undefined ? undefined : `pid ${proc.pid}`);
    const deadline = clock.now() + startTimeoutMs;
    const poll = (): void => {
      void isUp().then((up) => {
        if (gen !== generation || child !== proc) return;
        if (up) {
          runningSince = clock.now();
          return set('running');
        }
        if (clock.now() < deadline) return later(poll, pollMs);
        log('supervisor', `no answer within ${startTimeoutMs} ms, killing pid ${proc.pid}`);
        proc.kill('SIGKILL');
      });
    };
    later(poll, pollMs);
  }

  function crashed(gen: number, why: string): void {
    cancelTimer();
    if (runningSince !== null && clock.now() - runningSince >= stableMs) attempt = 0;
    runningSince = null;
    set('crashed', why);
    const delay = backoff[Math.min(attempt, backoff.length - 1)]!;
    attempt++;
    set('restarting', `in ${delay} ms (attempt ${attempt})`);
    later(() => void restart(gen), delay);
  }

  /** After a crash: quietly check nobody else took the port, then start again. */
  async function restart(gen: number): Promise<void> {
    const up = await isUp();
    if (gen !== generation) return;
    if (up) {
      set('external', `an Ollama foreman did not start answers at ${upstream.origin}`);
      return watchExternal(gen);
    }
    const file = await which(bin);
    if (gen !== generation) return;
    if (!file) return set('not-found', `no Ollama binary: "${bin}" is gone`);
    launch(gen, file);
  }

  function waitForExit(proc: SupervisedChild, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clock.clearTimeout(t);
        proc.off('exit', onExit);
        resolve(ok);
      };
      const onExit = () => done(true);
      proc.once('exit', onExit);
      const t = clock.setTimeout(() => done(false), ms);
    });
  }

  return {
    get status(): OllamaStatus {
      return status;
    },
    get message(): string | undefined {
      return message;
    },
    /** The running child's pid, if one runs. */
    get pid(): number | undefined {
      return child?.pid;
    },
    logs(): OllamaLogLine[] {
      return lines.slice();
    },

    /**
     * Probes and starts Ollama if needed. Also the "Start Ollama" button: restarts at once when
     * waiting out a backoff, tries again after `not-found`, `stopped` or `external`.
     */
    start(): void {
      if (child || status === 'checking') return;
      cancelTimer();
      const gen = ++generation;
      if (status === 'crashed' || status === 'restarting') {
        attempt = 0;
        void restart(gen);
        return;
      }
      void probe(gen, true);
    },

    /** Stops the child (SIGTERM, then SIGKILL after `graceMs`); it is not restarted. */
    async stop(graceMs = 5000): Promise<void> {
      generation++;
      cancelTimer();
      const proc = child;
      if (proc && proc.pid !== undefined) {
        log('supervisor', `stopping pid ${proc.pid}`);
        proc.kill('SIGTERM');
        if (!(await waitForExit(proc, graceMs))) {
          log('supervisor', `pid ${proc.pid} ignored SIGTERM for ${graceMs} ms, killing it`);
          proc.kill('SIGKILL');
          await waitForExit(proc, 2000);
        }
      }
      child = null;
      if (status !== 'stopped') set('stopped');
    },
  };
}

export type OllamaSupervisor = ReturnType<typeof createOllamaSupervisor>;
