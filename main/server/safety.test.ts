import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { startStack, type Stack } from '../test-support/harness.js';
import { isAllowedHost, isAllowedOrigin, DEFAULT_ALLOWED_ORIGINS } from './safety.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ foreman: { bodyLimit: 1024 * 1024 } });
});
afterAll(() => stack.close());

/** Raw HTTP, so the test controls Host and every other header exactly. */
function raw(opts: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('Host and Origin guards', () => {
  it.each(['evil.example', 'evil.example:11435', 'evil.localhost', '192.168.1.10', 'localhost.evil.example', 'localhost:80@evil'])(
    'refuses Host %s with 403',
    async (host) => {
      const res = await raw({ path: '/api/tags', headers: { Host: host } });
      expect(res.status).toBe(403);
      expect(res.body).toBe('');
    },
  );

  it.each(['localhost', 'localhost:11435', '127.0.0.1', '127.0.0.1:8080', '[::1]', '[::1]:11435'])(
    'accepts loopback Host %s',
    async (host) => {
      const res = await raw({ path: '/api/version', headers: { Host: host } });
      expect(res.status).toBe(200);
    },
  );

  it('refuses a cross-site text/plain POST before it becomes a job', async () => {
    const before = stack.sim.stats().requests;
    const res = await raw({
      method: 'POST',
      path: '/api/generate',
      headers: { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
      body: '{"model":"llama3.2","prompt":"hi"}',
    });
    expect(res.status).toBe(403);
    expect(stack.sim.stats().requests).toBe(before);
    expect(stack.foreman.store.listJobs()).toHaveLength(0);
  });

  it.each(['null', 'http://evil.example', 'chrome-extension://abc'])('refuses Origin %s', async (origin) => {
    expect((await raw({ path: '/api/tags', headers: { Origin: origin } })).status).toBe(403);
  });

  it("lets same-origin and Ollama's default origins through", async () => {
    const host = new URL(stack.url).host;
    expect((await raw({ path: '/api/version', headers: { Origin: `http://${host}` } })).status).toBe(200);
    expect((await raw({ path: '/api/version', headers: { Origin: 'http://localhost:5173' } })).status).toBe(200);
    expect((await raw({ path: '/api/version', headers: { Origin: 'app://obsidian.md' } })).status).toBe(200);
  });

  it('matches the allowlist exactly', () => {
    expect(isAllowedHost(undefined)).toBe(false);
    expect(isAllowedHost('localhost:abc')).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:3000', 'localhost:1', DEFAULT_ALLOWED_ORIGINS)).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1.evil.example', 'localhost:1', DEFAULT_ALLOWED_ORIGINS)).toBe(false);
    expect(isAllowedOrigin('https://my.app', 'localhost:1', ['https://my.app'])).toBe(true);
  });
});

describe('bad input', () => {
  const bodies: [string, string | Buffer][] = [
    ['empty', ''],
    ['not json', 'hello'],
    ['truncated', '{"model":"llama3.2","messages":['],
    ['wrong type', '{"model":42}'],
    ['array', '[1,2,3]'],
    ['string', '"llama3.2"'],
    ['null', 'null'],
    ['bad escape', '{"model":"\\x"}'],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
    ['stream not bool', '{"model":"llama3.2","stream":"yes"}'],
    ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['proto', '{"model":"llama3.2","__proto__":{"x":1}}'],
  ];

  it.each(bodies)('answers a %s body on every inference route with a 4xx JSON error', async (_name, body) => {
    for (const path of [
      '/api/chat',
      '/api/generate',
      '/api/embed',
      '/api/embeddings',
      '/v1/chat/completions',
      '/v1/completions',
      '/v1/embeddings',
    ]) {
      const res = await raw({ method: 'POST', path, body });
      if (res.status === 200) continue; // e.g. a `null` body is `{}` to Ollama, or a model name alone is valid for embed
      expect(res.status, `${path}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path}: ${res.body}`).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const parsed = JSON.parse(res.body);
      expect(typeof parsed.error === 'string' || typeof parsed.error?.message === 'string').toBe(true);
    }
  });

  it("uses Ollama's words for malformed JSON and a missing body", async () => {
    expect(JSON.parse((await raw({ method: 'POST', path: '/api/chat', body: '' })).body)).toEqual({ error: 'missing request body' });
    expect(JSON.parse((await raw({ method: 'POST', path: '/api/chat', body: 'hello' })).body)).toEqual({
      error: "invalid character 'h' looking for beginning of value",
    });
    expect(JSON.parse((await raw({ method: 'POST', path: '/api/chat', body: '{"model":' })).body)).toEqual({ error: 'unexpected EOF' });
  });

  it("refuses bodies over the limit with 413 in Ollama's shape", async () => {
    const res = await raw({ method: 'POST', path: '/api/chat', body: Buffer.alloc(1024 * 1024 + 10, 0x20) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error).toContain('limit');
  });

  it('accepts bodies whatever their content type, as Ollama does (curl -d)', async () => {
    for (const ct of ['application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream', undefined]) {
      const headers: Record<string, string> = ct ? { 'Content-Type': ct } : {};
      const res = await raw({ method: 'POST', path: '/api/generate', headers, body: '{"model":"llama3.2","prompt":"hi","stream":false}' });
      expect(res.status, String(ct)).toBe(200);
      expect(JSON.parse(res.body).done).toBe(true);
    }
  });

  it('keeps serving after all of it', async () => {
    const res = await raw({
      method: 'POST',
      path: '/api/chat',
      body: '{"model":"llama3.2","messages":[{"role":"user","content":"still there?"}],"stream":false}',
    });
    expect(res.status).toBe(200);
  });
});
