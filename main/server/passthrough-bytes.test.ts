/**
 * Byte-for-byte fidelity against an upstream whose exact bytes, chunking and headers the test controls:
 * whatever Ollama writes, the client reads, unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startForeman, type Foreman } from '../app/foreman.js';
import { tempDir, testConfig } from '../test-support/test-config.js';

const euro = Buffer.from('€', 'utf8');
// A multi-byte character split across two writes, Go's \u003c escapes, a final chunk that carries text,
// and no trailing newline on the very last line: a re-serialising proxy would change at least one.
const CHUNKS: Buffer[] = [
  Buffer.from(
    '{"model":"llama3.2","created_at":"2026-11-25T10:00:00.1Z","message":{"role":"assistant","content":"a \\u003cb\\u003e "},"done":false}\n',
  ),
  Buffer.concat([
    Buffer.from('{"model":"llama3.2","created_at":"2026-11-25T10:00:00.2Z","message":{"role":"assistant","content":"'),
    euro.subarray(0, 1),
  ]),
  Buffer.concat([euro.subarray(1), Buffer.from('"},"done":false}\n')]),
  Buffer.from(
    '{"model":"llama3.2","created_at":"2026-11-25T10:00:00.300000001Z","message":{"role":"assistant","content":"end"},"done":true,"done_reason":"stop","total_duration":5,"eval_count":3}',
  ),
];
const EXPECTED = Buffer.concat(CHUNKS);

let upstream: http.Server;
let foreman: Foreman;
const received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];

beforeAll(async () => {
  upstream = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts) });
    if (req.url === '/api/chat') {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', Date: 'Wed, 25 Nov 2026 10:00:00 GMT' });
      for (const c of CHUNKS) {
        res.write(c);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    } else if (req.url?.startsWith('/api/tags')) {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end('{"models":[]}');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found');
    }
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const { port } = upstream.address() as AddressInfo;
  foreman = await startForeman(testConfig(`http://127.0.0.1:${port}`, {}, tempDir()));
});

afterAll(async () => {
  await foreman.close(500);
  await new Promise((r) => upstream.close(r));
});

describe('passthrough fidelity', () => {
  it('streams the upstream NDJSON byte for byte with its content type and date', async () => {
    const res = await fetch(`${foreman.url}/api/chat`, {
      method: 'POST',
      body: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.headers.get('date')).toBe('Wed, 25 Nov 2026 10:00:00 GMT');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(EXPECTED)).toBe(true);
  });

  it('forwards the request body bytes, method, path and query unchanged, with Host set to the upstream', async () => {
    received.length = 0;
    const sent = '{"model":"llama3.2", "messages":[{"role":"user","content":"\\u00e9t\\u00e9"}]}  ';
    await (
      await fetch(`${foreman.url}/api/chat?ts=123`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer k' },
        body: sent,
      })
    ).arrayBuffer();
    const got = received.at(-1)!;
    expect(got.url).toBe('/api/chat?ts=123');
    expect(got.body.toString()).toBe(sent);
    expect(got.headers.authorization).toBe('Bearer k');
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(got.headers.host).toBe(new URL(foreman.ollama.upstream.origin).host);
  });

  it('passes other routes straight through, unknown paths included', async () => {
    const tags = await fetch(`${foreman.url}/api/tags`);
    expect(tags.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await tags.text()).toBe('{"models":[]}');
    const nope = await fetch(`${foreman.url}/no/such/path`);
    expect(nope.status).toBe(404);
    expect(await nope.text()).toBe('404 page not found');
  });

  it('records the request as a job with the assembled answer and figures', async () => {
    const jobs = foreman.store.listJobs({ state: 'succeeded' });
    expect(jobs.length).toBeGreaterThan(0);
    const job = foreman.store.getJob(jobs.at(-1)!.id)!;
    expect(job).toMatchObject({
      source: 'passthrough',
      route: '/api/chat',
      lane: 'llama3.2:latest',
      stream: true,
      eval_count: 3,
      total_duration: 5,
    });
    expect(JSON.parse(job.response!).message).toEqual({ role: 'assistant', content: 'a <b> €end' });
  });
});
