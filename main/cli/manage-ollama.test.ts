/**
 * `foreman serve --manage-ollama` for real: nothing listens upstream, so foreman starts the stand-in
 * Ollama binary (the simulator), serves through it, restarts it after `kill -9`, and reports every
 * status change on the event stream.
 */
import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import path from 'node:path';
import { ROOT, killSpawned, spawnForeman } from '../test-support/spawn-cli.js';
import { openSse, type SseClient, type SseFrame } from '../test-support/sse-client.js';
import { tempDir } from '../test-support/test-config.js';

const FAKE = path.join(ROOT, 'main/test-support/fake-ollama.mjs');
const pids = new Set<number>();
let sse: SseClient | undefined;

afterAll(async () => {
  sse?.close();
  await killSpawned();
  // A failed run must not leave a stand-in Ollama behind on its port.
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface OllamaEvent {
  type: 'ollama';
  status: string;
  pid?: number;
  message?: string;
}
const ollamaEvents = (frames: SseFrame[]) => frames.filter((f) => f.event === 'ollama').map((f) => JSON.parse(f.data) as OllamaEvent);
const chat = (url: string) =>
  fetch(`${url}/api/chat`, { method: 'POST', body: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}' });

describe('foreman serve --manage-ollama', () => {
  it('starts Ollama when the upstream is down, serves through it, restarts it after kill -9, and reports each change', async () => {
    const port = await freePort();
    const f = await spawnForeman([
      '--listen',
      '127.0.0.1:0',
      '--upstream',
      `127.0.0.1:${port}`,
      '--data-dir',
      tempDir(),
      '--manage-ollama',
      '--ollama-bin',
      FAKE,
    ]);
    // Replay the stream from this boot's first event, so nothing published before we connected is missed.
    const boot = ((await (await fetch(`${f.url}/foreman/queue`)).json()) as { event_id: string }).event_id.split(':')[0];
    sse = await openSse(`${f.url}/foreman/events`, { 'last-event-id': `${boot}:0` });
    const s = sse;

    const running = await s.next((fr) => fr.event === 'ollama' && JSON.parse(fr.data).status === 'running');
    const first = JSON.parse(running.data) as OllamaEvent;
    expect(first.pid).toBeGreaterThan(0);
    pids.add(first.pid!);
    expect(ollamaEvents(s.frames).map((e) => e.status)).toEqual(['checking', 'starting', 'running']);

    const health = (await (await fetch(`${f.url}/foreman/health`)).json()) as { ollama: unknown };
    expect(health.ollama).toEqual({ status: 'running', managed: true });
    const res = await chat(f.url);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { done: boolean }).done).toBe(true);

    process.kill(first.pid!, 'SIGKILL');
    const again = await s.next(
      (fr) => fr.event === 'ollama' && JSON.parse(fr.data).status === 'running' && JSON.parse(fr.data).pid !== first.pid,
    );
    const second = JSON.parse(again.data) as OllamaEvent;
    pids.add(second.pid!);
    const afterKill = ollamaEvents(s.frames).slice(3);
    expect(afterKill.map((e) => e.status)).toEqual(['crashed', 'restarting', 'starting', 'running']);
    expect(afterKill[0]!.message).toContain('SIGKILL');
    expect(afterKill[1]!.message).toBe('in 500 ms (attempt 1)');
    expect(alive(first.pid!)).toBe(false);

    const res2 = await chat(f.url);
    expect(res2.status).toBe(200);
    expect(((await res2.json()) as { done: boolean }).done).toBe(true);

    const logs = (await (await fetch(`${f.url}/foreman/ollama/logs`)).json()) as { pid: number; lines: { stream: string; line: string }[] };
    expect(logs.pid).toBe(second.pid);
    expect(logs.lines.some((l) => l.stream === 'stderr' && l.line.includes(`Listening on 127.0.0.1:${port}`))).toBe(true);
    expect(logs.lines.some((l) => l.stream === 'supervisor' && l.line.includes('exited on SIGKILL'))).toBe(true);

    // Quitting stops the Ollama foreman started.
    f.proc.kill('SIGTERM');
    expect(await f.exited).toBe(0);
    expect(alive(second.pid!)).toBe(false);
  }, 40_000);

  it('says not-found when the binary is missing, and refuses /foreman/ollama/start without --manage-ollama', async () => {
    const port = await freePort();
    const f = await spawnForeman([
      '--listen',
      '127.0.0.1:0',
      '--upstream',
      `127.0.0.1:${port}`,
      '--data-dir',
      tempDir(),
      '--manage-ollama',
      '--ollama-bin',
      '/nonexistent/ollama',
    ]);
    await expect
      .poll(async () => ((await (await fetch(`${f.url}/foreman/health`)).json()) as { ollama: { status: string } }).ollama.status)
      .toBe('not-found');
    f.proc.kill('SIGTERM');
    expect(await f.exited).toBe(0);

    const plain = await spawnForeman(['--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${port}`, '--data-dir', tempDir()]);
    const start = await fetch(`${plain.url}/foreman/ollama/start`, { method: 'POST' });
    expect(start.status).toBe(409);
    await expect
      .poll(async () => ((await (await fetch(`${plain.url}/foreman/health`)).json()) as { ollama: unknown }).ollama)
      .toEqual({ status: 'stopped', managed: false });
    plain.proc.kill('SIGTERM');
    expect(await plain.exited).toBe(0);
  });
});
