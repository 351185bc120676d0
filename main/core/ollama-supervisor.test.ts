/** The Ollama supervisor with a fake child process and a fake clock: states, backoff, stop, logs. */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import fs from 'node:fs';
import path from 'node:path';
import { createOllamaSupervisor, type OllamaStatusChange, type SupervisedChild, type SupervisorClock } from './ollama-supervisor.js';
import { findExecutable } from './find-executable.js';
import { parseOllamaHost } from '../ollama/ollama-host.js';
import { tempDir } from '../test-support/test-config.js';

const flush = () => new Promise((r) => setImmediate(r));

function fakeClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: SupervisorClock & { advance(ms: number): Promise<void> } = {
    now: () => now,
    setTimeout(fn, ms) {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        await flush();
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
      await flush();
    },
  };
  return clock;
}

class FakeChild extends EventEmitter implements SupervisedChild {
  stdout = new PassThrough();
  stderr = new PassThrough();
  signals: string[] = [];
  constructor(
    readonly pid: number,
    private ignoreTerm = false,
  ) {
    super();
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || !this.ignoreTerm) setImmediate(() => this.emit('exit', null, signal));
    return true;
  }
  die(code: number): void {
    this.emit('exit', code, null);
  }
}

function setup(over: { up?: boolean; bin?: string | null; upstream?: string; ignoreTerm?: boolean; logLines?: number } = {}) {
  const clock = fakeClock();
  const state = { up: over.up ?? false, bin: over.bin === undefined ? '/opt/ollama/bin/ollama' : over.bin };
  const children: FakeChild[] = [];
  const spawns: { command: string; args: string[]; host: string | undefined }[] = [];
  const changes: OllamaStatusChange[] = [];
  const sup = createOllamaSupervisor({
    upstream: parseOllamaHost(over.upstream ?? '127.0.0.1:11555'),
    bin: 'ollama',
    isUp: async () => state.up,
    which: async () => state.bin,
    spawn(command, args, options) {
      spawns.push({ command, args, host: options.env.OLLAMA_HOST });
      const child = new FakeChild(1000 + children.length, over.ignoreTerm);
      children.push(child);
      return child;
    },
    clock,
    env: {},
    logLines: over.logLines,
    onStatus: (c) => changes.push(c),
  });
  const statuses = () => changes.map((c) => c.status);
  return { clock, state, children, spawns, changes, statuses, sup };
}

describe('ollama supervisor', () => {
  it('leaves an Ollama that already answers alone', async () => {
    const t = setup({ up: true });
    t.sup.start();
    await t.clock.advance(10_000);
    expect(t.statuses()).toEqual(['checking', 'external']);
    expect(t.spawns).toEqual([]);
  });

  it('starts `ollama serve` on the upstream address when nothing answers, and reports running once it does', async () => {
    const t = setup();
    t.sup.start();
    await t.clock.advance(1000);
    expect(t.spawns).toEqual([{ command: '/opt/ollama/bin/ollama', args: ['serve'], host: '127.0.0.1:11555' }]);
    expect(t.statuses()).toEqual(['checking', 'starting']);
    expect(t.changes[1]).toMatchObject({ pid: 1000 });
    t.state.up = true;
    await t.clock.advance(250);
    expect(t.statuses()).toEqual(['checking', 'starting', 'running']);
    expect(t.changes[2]).toEqual({ status: 'running', pid: 1000 });
    expect(t.sup.pid).toBe(1000);
  });

  it('restarts a crashed Ollama after 500 ms, 1 s, 2 s…, and starts the backoff over after a stable run', async () => {
    const t = setup();
    t.sup.start();
    await t.clock.advance(0);
    const restartDelays: number[] = [];
    for (let i = 0; i < 4; i++) {
      t.children.at(-1)!.die(1);
      const before = t.spawns.length;
      let waited = 0;
      while (t.spawns.length === before) {
        await t.clock.advance(100);
        waited += 100;
      }
      restartDelays.push(waited);
    }
    expect(restartDelays).toEqual([500, 1000, 2000, 5000]);
    expect(t.statuses().slice(0, 6)).toEqual(['checking', 'starting', 'crashed', 'restarting', 'starting', 'crashed']);
    expect(t.changes.find((c) => c.status === 'crashed')!.message).toBe('exited with code 1');
    expect(t.changes.find((c) => c.status === 'restarting')!.message).toBe('in 500 ms (attempt 1)');

    t.state.up = true;
    await t.clock.advance(250);
    expect(t.sup.status).toBe('running');
    await t.clock.advance(60_000);
    t.state.up = false;
    t.children.at(-1)!.die(137);
    expect(t.changes.at(-1)).toEqual({ status: 'restarting', message: 'in 500 ms (attempt 1)' });
  });

  it('says not-found when there is no binary, and tries again on start()', async () => {
    const t = setup({ bin: null });
    t.sup.start();
    await t.clock.advance(1000);
    expect(t.statuses()).toEqual(['checking', 'not-found']);
    expect(t.changes[1]!.message).toContain('"ollama" is not on PATH');
    t.state.bin = '/usr/local/bin/ollama';
    t.sup.start();
    await t.clock.advance(0);
    expect(t.spawns.map((s) => s.command)).toEqual(['/usr/local/bin/ollama']);
  });

  it('start() while waiting out a backoff restarts at once', async () => {
    const t = setup({});
    t.sup.start();
    await t.clock.advance(0);
    for (let i = 0; i < 3; i++) {
      t.children.at(-1)!.die(1);
      await t.clock.advance(10_000);
    }
    t.children.at(-1)!.die(1);
    expect(t.sup.status).toBe('restarting');
    const before = t.spawns.length;
    t.sup.start();
    await t.clock.advance(0);
    expect(t.spawns.length).toBe(before + 1);
  });

  it('kills an Ollama that never answers and counts it as a crash', async () => {
    const t = setup();
    t.sup.start();
    await t.clock.advance(60_000);
    expect(t.children[0]!.signals).toEqual(['SIGKILL']);
    await t.clock.advance(0);
    expect(t.statuses()).toEqual(['checking', 'starting', 'crashed', 'restarting']);
    expect(t.sup.logs().map((l) => l.line)).toContain('no answer within 60000 ms, killing pid 1000');
  });

  it('stop() sends SIGTERM, then SIGKILL after the grace period, and never restarts', async () => {
    const t = setup({ ignoreTerm: true });
    t.sup.start();
    await t.clock.advance(0);
    t.state.up = true;
    await t.clock.advance(250);
    const stopped = t.sup.stop(3000);
    await t.clock.advance(2999);
    expect(t.children[0]!.signals).toEqual(['SIGTERM']);
    await t.clock.advance(1);
    await stopped;
    expect(t.children[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(t.sup.status).toBe('stopped');
    expect(t.sup.pid).toBeUndefined();
    await t.clock.advance(120_000);
    expect(t.spawns.length).toBe(1);
    expect(t.statuses().at(-1)).toBe('stopped');
  });

  it('takes over when an external Ollama goes away', async () => {
    const t = setup({ up: true });
    t.sup.start();
    await t.clock.advance(0);
    t.state.up = false;
    await t.clock.advance(5000);
    expect(t.statuses()).toEqual(['checking', 'external', 'checking', 'starting']);
  });

  it('will not start an Ollama for an upstream on another machine', async () => {
    const t = setup({ upstream: 'http://10.1.2.3:11434' });
    t.sup.start();
    await t.clock.advance(0);
    expect(t.statuses()).toEqual(['checking', 'stopped']);
    expect(t.changes[1]!.message).toContain('not on this machine');
    expect(t.spawns).toEqual([]);
  });

  it('keeps the last log lines of both streams, whole lines only', async () => {
    const t = setup({ logLines: 4 });
    t.sup.start();
    await t.clock.advance(0);
    const child = t.children[0]!;
    child.stderr.write('time=1 level=INFO msg="Listen');
    child.stderr.write('ing on 127.0.0.1:11555"\ntime=2 msg=b\n');
    child.stdout.write('out line\r\n');
    await flush();
    const lines = t.sup.logs();
    expect(lines.length).toBe(4);
    expect(lines.slice(1).map((l) => [l.stream, l.line])).toEqual([
      ['stderr', 'time=1 level=INFO msg="Listening on 127.0.0.1:11555"'],
      ['stderr', 'time=2 msg=b'],
      ['stdout', 'out line'],
    ]);
  });
});

describe('findExecutable', () => {
  it('finds a name on PATH, skips files that are not executable, and takes a path as is', async () => {
    const a = tempDir();
    const b = tempDir();
    fs.writeFileSync(path.join(a, 'ollama'), 'not executable', { mode: 0o644 });
    fs.writeFileSync(path.join(b, 'ollama'), '#!/bin/sh\n', { mode: 0o755 });
    const env = { PATH: [a, b].join(path.delimiter) };
    expect(await findExecutable('ollama', env, 'linux')).toBe(path.join(b, 'ollama'));
    expect(await findExecutable('nope', env, 'linux')).toBeNull();
    expect(await findExecutable(path.join(a, 'ollama'), env, 'linux')).toBeNull();
    expect(await findExecutable(path.join(b, 'ollama'), {}, 'linux')).toBe(path.join(b, 'ollama'));
  });
});
