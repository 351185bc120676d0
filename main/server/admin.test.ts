/** The window's API against a real foreman and the simulator: snapshot, events, detail, controls. */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { JobDetail, QueueSnapshot, Timeline } from '../../shared/api.js';
import { startStack, tempDir, type Stack } from '../test-support/harness.js';
import { openSse, type SseClient } from '../test-support/sse-client.js';

let stack: Stack | undefined;
let sse: SseClient | undefined;
afterEach(async () => {
  sse?.close();
  sse = undefined;
  await stack?.close();
  stack = undefined;
});

const get = async <T>(s: Stack, p: string): Promise<T> => (await (await fetch(`${s.url}${p}`)).json()) as T;
const post = (s: Stack, p: string) =>
  fetch(`${s.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
const chat = (s: Stack, model: string, content: string, signal?: AbortSignal) =>
  fetch(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content }] }), signal });

describe('queue snapshot and events', () => {
  it('shows lanes per model with running and queued jobs, and streams their changes', async () => {
    stack = await startStack({ sim: { tokensPerSecond: 100 } });
    const s = stack;
    sse = await openSse(`${s.url}/foreman/events`);
    const first = chat(s, 'llama3.2', 'one [[sim:tokens=30]]');
    await expect.poll(() => s.foreman.scheduler.running).toBe(1);
    const second = chat(s, 'gemma3:1b', 'two');
    await expect.poll(() => s.foreman.scheduler.waiting).toBe(1);
    const snap = await get<QueueSnapshot>(s, '/foreman/queue');
    expect(snap.lanes.map((l) => [l.model, l.current, l.running.length, l.queued.length])).toEqual([
      ['llama3.2:latest', true, 1, 0],
      ['gemma3:1b', false, 0, 1],
    ]);
    expect(snap.lanes[1]!.queued[0]).toMatchObject({ source: 'passthrough', state: 'queued', model: 'gemma3:1b' });
    const tokens = await sse.next((f) => f.event === 'tokens');
    expect(JSON.parse(tokens.data).content.length).toBeGreaterThan(0);
    await Promise.all([first, second].map(async (r) => (await r).text()));
    const done = await sse.next(
      (f) => f.event === 'job' && JSON.parse(f.data).job.model === 'gemma3:1b' && JSON.parse(f.data).job.state === 'succeeded',
    );
    expect(JSON.parse(done.data).job.eval_count).toBeGreaterThan(0);
    expect(sse.frames.some((f) => f.event === 'model' && JSON.parse(f.data).model === 'gemma3:1b')).toBe(true);
  });

  it('replays what a reconnecting client missed, and tells a client from another boot to resync', async () => {
    stack = await startStack();
    const s = stack;
    const before = (await get<QueueSnapshot>(s, '/foreman/queue')).event_id;
    await (await chat(s, 'llama3.2', 'while away')).text();
    await expect.poll(() => s.foreman.store.listJobs({ state: 'succeeded' }).length).toBe(1);
    sse = await openSse(`${s.url}/foreman/events`, { 'last-event-id': before });
    const replayed = await sse.next((f) => f.event === 'job' && JSON.parse(f.data).job.state === 'succeeded');
    expect(replayed.id).toMatch(/^[0-9a-f]{8}:\d+$/);
    sse.close();
    sse = await openSse(`${s.url}/foreman/events`, { 'last-event-id': 'deadbeef:12' });
    expect((await sse.next(() => true)).event).toBe('resync');
  });
});

describe('controls', () => {
  it('pauses and resumes the queue', async () => {
    stack = await startStack();
    const s = stack;
    expect(await (await post(s, '/foreman/pause')).json()).toEqual({ paused: true });
    const waiting = chat(s, 'llama3.2', 'held');
    await expect.poll(() => s.foreman.scheduler.waiting).toBe(1);
    expect((await get<QueueSnapshot>(s, '/foreman/queue')).paused).toBe(true);
    expect(s.sim.stats().requests).toBe(0);
    await post(s, '/foreman/resume');
    expect((await waiting).status).toBe(200);
  });

  it("cancels a queued passthrough request: the client gets Ollama's 499 `request canceled`", async () => {
    stack = await startStack();
    const s = stack;
    await post(s, '/foreman/pause');
    const waiting = chat(s, 'llama3.2', 'cancel me');
    await expect.poll(() => s.foreman.board.rows().length).toBe(1);
    const [row] = s.foreman.board.rows();
    const res = await post(s, `/foreman/jobs/${row!.id}/cancel`);
    expect(res.status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe(499);
    expect(await answer.json()).toEqual({ error: 'request canceled' });
    await expect.poll(() => s.foreman.store.getJob(row!.id)?.state).toBe('canceled');
    expect(s.sim.stats().requests).toBe(0);
    expect((await post(s, `/foreman/jobs/${row!.id}/cancel`)).status).toBe(409);
  });

  it('cancels a working stream: Ollama is aborted and the client reads an error line, as from Ollama', async () => {
    stack = await startStack({ sim: { tokensPerSecond: 50 } });
    const s = stack;
    const res = await chat(s, 'llama3.2', 'long [[sim:tokens=500]]');
    const reader = res.body!.getReader();
    await reader.read();
    const [row] = s.foreman.board.rows();
    const detail = await get<JobDetail>(s, `/foreman/jobs/${row!.id}`);
    expect(detail.state).toBe('working');
    expect(detail.partial!.content.length).toBeGreaterThan(0);
    expect(detail.request).toMatchObject({ model: 'llama3.2' });
    await post(s, `/foreman/jobs/${row!.id}/cancel`);
    let text = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += Buffer.from(r.value).toString();
    expect(text.trim().split('\n').at(-1)).toBe('{"error":"request canceled"}');
    await expect.poll(() => s.sim.stats().aborted).toBe(1);
  });
});

describe('history, detail, timeline, metrics', () => {
  it('lists history with filters and opens a finished transcript', async () => {
    stack = await startStack();
    const s = stack;
    await (await chat(s, 'llama3.2', 'first')).text();
    await (await chat(s, 'gemma3:1b', 'second')).text();
    const page = await get<{ jobs: { id: string; model: string }[]; next_cursor: string | null }>(
      s,
      '/foreman/jobs?model=gemma3:1b&source=passthrough',
    );
    expect(page.jobs.map((j) => j.model)).toEqual(['gemma3:1b']);
    const detail = await get<JobDetail>(s, `/foreman/jobs/${page.jobs[0]!.id}`);
    expect(detail).toMatchObject({ state: 'succeeded', partial: null });
    expect((detail.response as { message: { content: string } }).message.content.length).toBeGreaterThan(0);
    expect((await fetch(`${s.url}/foreman/jobs/job_nope`)).status).toBe(404);
  });

  it('draws one segment per model switch and counts the loads drain-by-model avoided', async () => {
    stack = await startStack({ sim: { maxLoaded: 1, loadMs: 80, tokensPerSecond: 200 } });
    const s = stack;
    await post(s, '/foreman/pause');
    const all: Promise<Response>[] = [];
    for (const [i, m] of ['llama3.2', 'gemma3:1b', 'llama3.2', 'gemma3:1b', 'llama3.2', 'gemma3:1b'].entries()) {
      all.push(chat(s, m, `t${i}`));
      await expect.poll(() => s.foreman.scheduler.waiting).toBe(i + 1);
    }
    await post(s, '/foreman/resume');
    await Promise.all(all.map(async (r) => (await r).text()));
    await expect.poll(() => s.foreman.store.listJobs({ state: 'succeeded' }).length).toBe(6);
    const t = await get<Timeline>(s, '/foreman/timeline');
    expect(t.segments.map((x) => x.model)).toEqual(['llama3.2:latest', 'gemma3:1b']);
    expect(t.segments.every((x) => x.load_ms >= 50)).toBe(true);
    expect(t.bars).toHaveLength(6);
    expect(t.counters).toMatchObject({ loads: 2, fcfs_loads: 6, loads_avoided: 4 });
  });

  it('exposes Prometheus metrics', async () => {
    stack = await startStack();
    const s = stack;
    await (await chat(s, 'llama3.2', 'count me')).text();
    await expect
      .poll(async () => await (await fetch(`${s.url}/foreman/metrics`)).text())
      .toMatch(/foreman_jobs_total\{source="passthrough",state="succeeded",host="127\.0\.0\.1:\d+"\} 1/);
    const text = await (await fetch(`${s.url}/foreman/metrics`)).text();
    expect(text).toContain('foreman_job_wait_seconds_count{source="passthrough"} 1');
    expect(text).toContain('# TYPE foreman_queue_depth gauge');
    expect(text).toContain('foreman_webhook_deliveries_total{outcome="delivered"} 0');
  });
});

describe('the window', () => {
  it('is served at /ui/ with a strict Content-Security-Policy', async () => {
    const ui = tempDir();
    fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>foreman</title>');
    stack = await startStack({ uiRoot: ui });
    const res = await fetch(`${stack.url}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('<title>foreman</title>');
    const redirect = await fetch(`${stack.url}/ui`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('/ui/');
  });

  it('says how to build it when it is not built', async () => {
    stack = await startStack({ uiRoot: tempDir() });
    const res = await fetch(`${stack.url}/ui/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });
});
