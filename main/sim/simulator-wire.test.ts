/**
 * The simulator's bytes and headers against ollama-wire.md, over real HTTP on a free port.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, simText, simTokens, type Simulator } from './simulator.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  rawHeaders: string[];
  body: string;
}

/** node:http, so headers come back exactly as sent (fetch would hide some). */
function raw(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sized = body === undefined ? headers : { 'Content-Length': String(Buffer.byteLength(body)), ...headers };
    const req = request(`${base}${path}`, { method, headers: sized }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          rawHeaders: res.rawHeaders,
          body: text,
        }),
      );
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const post = (base: string, path: string, body: unknown) => raw(base, 'POST', path, typeof body === 'string' ? body : JSON.stringify(body));
const lines = (body: string) =>
  body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const headerNames = (r: RawResponse) => r.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());

let sim: Simulator;
let url: string;

beforeAll(async () => {
  sim = createSimulator({ loadMs: 5, tokensPerSecond: 0, defaultTokens: 5 });
  url = await sim.listen();
});
afterAll(() => sim.close());

describe('routing and framing', () => {
  it('answers / like Go: text/plain with charset, Content-Length, Date, nothing else', async () => {
    const r = await raw(url, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('Ollama is running');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(headerNames(r).sort()).toEqual(['content-length', 'content-type', 'date']);
    const head = await raw(url, 'HEAD', '/');
    expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', '17']);
  });

  it('serves version and status', async () => {
    const r = await raw(url, 'GET', '/api/version');
    expect([r.headers['content-type'], r.body]).toEqual(['application/json; charset=utf-8', '{"version":"0.33.0"}']);
    expect((await raw(url, 'GET', '/api/status')).body).toBe('{"cloud":{"disabled":false,"source":"none"}}');
  });

  it('404s and 405s as gin does', async () => {
    const nf = await raw(url, 'GET', '/api/nope');
    expect([nf.status, nf.headers['content-type'], nf.body]).toEqual([404, 'text/plain', '404 page not found']);
    const na = await raw(url, 'GET', '/api/chat');
    expect([na.status, na.headers['content-type'], na.body, na.headers.allow]).toEqual([
      405,
      'text/plain',
      '405 method not allowed',
      'POST',
    ]);
    expect((await raw(url, 'POST', '/')).headers.allow).toBe('HEAD, GET');
    const redirect = await raw(url, 'GET', '/api/tags/');
    expect([redirect.status, redirect.headers.location]).toEqual([301, '/api/tags']);
  });
});

describe('request bodies', () => {
  it('maps decode failures to Go messages and ignores Content-Type', async () => {
    expect((await post(url, '/api/chat', '')).body).toBe('{"error":"missing request body"}');
    expect((await post(url, '/api/chat', '{"model":')).body).toBe('{"error":"unexpected EOF"}');
    expect((await post(url, '/api/chat', 'x')).body).toBe(`{"error":"invalid character 'x' looking for beginning of value"}`);
    const typed = await post(url, '/api/chat', { model: 5 });
    expect([typed.status, typed.headers['content-type'], typed.body]).toEqual([
      400,
      'application/json; charset=utf-8',
      '{"error":"json: cannot unmarshal number into Go struct field ChatRequest.model of type string"}',
    ]);
    expect((await post(url, '/api/generate', { model: 'x', stream: 'yes' })).body).toBe(
      '{"error":"json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool"}',
    );
    expect((await post(url, '/api/generate', { model: 'x', prompt: [1] })).body).toBe(
      '{"error":"json: cannot unmarshal array into Go struct field GenerateRequest.prompt of type string"}',
    );
    expect((await post(url, '/api/chat', { model: 'x', messages: 'hi' })).body).toBe(
      '{"error":"json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message"}',
    );
    expect((await post(url, '/api/chat', { model: 'x', keep_alive: '300' })).body).toBe(
      '{"error":"time: missing unit in duration \\"300\\""}',
    );
    expect((await post(url, '/api/chat', { model: 'x', keep_alive: '<1>' })).body).toBe(
      '{"error":"time: invalid duration \\"\\u003c1\\u003e\\""}',
    );
    expect((await post(url, '/api/chat', { model: 'x', think: 'extreme' })).body).toMatch(/^\{"error":"invalid think value: /);
    expect(
      (await post(url, '/api/chat', { model: 'llama3.2', options: { num_predict: '5' }, messages: [{ role: 'user', content: 'x' }] })).body,
    ).toBe('{"error":"option \\"num_predict\\" must be of type integer"}');
    const form = await raw(url, 'POST', '/api/generate', '{"model":"llama3.2","prompt":"hi","stream":false}', {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(200);
    expect((await post(url, '/api/chat', 'null')).body).toBe('{"error":"model is required"}');
  });

  it('answers missing and unknown models per endpoint', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['/api/chat', {}, 400, 'model is required'],
      ['/api/generate', {}, 404, "model '' not found"],
      ['/api/embed', {}, 404, "model '' not found"],
      ['/api/embeddings', {}, 400, 'model is required'],
      ['/api/show', {}, 400, 'model is required'],
      ['/api/chat', { model: 'Nope' }, 404, "model 'Nope' not found"],
      ['/api/generate', { model: 'nope', prompt: 'x' }, 404, "model 'nope' not found"],
      ['/api/embed', { model: 'nope', input: 'x' }, 404, 'model "nope" not found, try pulling it first'],
      ['/api/embeddings', { model: 'nope', prompt: 'x' }, 404, 'model "nope" not found, try pulling it first'],
      ['/api/show', { model: 'nope' }, 404, "model 'nope:latest' not found"],
      [
        '/api/chat',
        { model: 'llama3.2', think: true, messages: [{ role: 'user', content: 'x' }] },
        400,
        '"llama3.2" does not support thinking',
      ],
      [
        '/api/chat',
        { model: 'nomic-embed-text', messages: [{ role: 'user', content: 'x' }] },
        400,
        '"nomic-embed-text" does not support chat',
      ],
      ['/api/generate', { model: 'nomic-embed-text', prompt: 'x' }, 400, '"nomic-embed-text" does not support generate'],
      [
        '/api/chat',
        { model: 'gemma3:1b', tools: [{ type: 'function', function: { name: 'f' } }], messages: [{ role: 'user', content: 'x' }] },
        400,
        'registry.ollama.ai/library/gemma3:1b does not support tools',
      ],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await post(url, path, body);
      expect({ path, status: r.status, body: r.body }).toEqual({ path, status, body: JSON.stringify({ error: message }) });
    }
  });
});

describe('native streaming', () => {
  it('streams NDJSON chunks and a final chunk in Go field order', async () => {
    const r = await post(url, '/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: 'hello' }] });
    expect([r.status, r.headers['content-type'], r.headers['transfer-encoding']]).toEqual([200, 'application/x-ndjson', 'chunked']);
    expect(headerNames(r)).not.toContain('connection');
    expect(r.body.endsWith('}\n')).toBe(true);
    const chunks = lines(r.body);
    expect(chunks).toHaveLength(6);
    expect(Object.keys(chunks[0] as object)).toEqual(['model', 'created_at', 'message', 'done']);
    expect(chunks[0]?.model).toBe('llama3.2');
    expect(chunks[0]?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    const last = chunks.at(-1) as Record<string, unknown>;
    expect(Object.keys(last)).toEqual([
      'model',
      'created_at',
      'message',
      'done',
      'done_reason',
      'total_duration',
      'load_duration',
      'prompt_eval_count',
      'prompt_eval_duration',
      'eval_count',
      'eval_duration',
    ]);
    expect(last.done_reason).toBe('stop');
    expect(Number.isInteger(last.total_duration)).toBe(true);
    const text = chunks.map((c) => (c.message as { content: string }).content).join('');
    expect(text).toBe(simText('hello', 5));
  });

  it('adds context after done_reason for generate, and cuts at num_predict with length', async () => {
    const r = await post(url, '/api/generate', { model: 'llama3.2', prompt: 'hello', options: { num_predict: 2 } });
    const chunks = lines(r.body);
    expect(chunks.map((c) => c.response).join('')).toBe(simText('hello', 2));
    const last = chunks.at(-1) as Record<string, unknown>;
    expect(Object.keys(last).slice(0, 7)).toEqual(['model', 'created_at', 'response', 'done', 'done_reason', 'context', 'total_duration']);
    expect(last.done_reason).toBe('length');
  });

  it('emits thinking first for thinking models unless think is false', async () => {
    const on = lines((await post(url, '/api/chat', { model: 'qwen3:0.6b', messages: [{ role: 'user', content: 'q' }] })).body);
    expect((on[0]?.message as { thinking?: string }).thinking).toBeTruthy();
    const off = lines(
      (await post(url, '/api/chat', { model: 'qwen3:0.6b', think: false, messages: [{ role: 'user', content: 'q' }] })).body,
    );
    expect(off.every((c) => (c.message as { thinking?: string }).thinking === undefined)).toBe(true);
  });

  it('answers stream:false with one application/json object and no trailing newline', async () => {
    const r = await post(url, '/api/chat', { model: 'llama3.2', stream: false, messages: [{ role: 'user', content: 'hello' }] });
    expect([r.headers['content-type'], r.body.endsWith('}')]).toEqual(['application/json; charset=utf-8', true]);
    const body = JSON.parse(r.body) as { message: { content: string }; done: boolean };
    expect([body.message.content, body.done]).toEqual([simText('hello', 5), true]);
  });

  it('loads and unloads on an empty prompt with a single JSON object even when streaming', async () => {
    const load = await post(url, '/api/generate', { model: 'llama3.2' });
    expect(load.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(load.body).toMatch(/^\{"model":"llama3.2","created_at":"[^"]+Z","response":"","done":true,"done_reason":"load"\}$/);
    const unload = await post(url, '/api/chat', { model: 'llama3.2', keep_alive: 0 });
    expect(unload.body).toMatch(/"message":\{"role":"assistant","content":""\},"done":true,"done_reason":"unload"\}$/);
    expect((await raw(url, 'GET', '/api/ps')).body).toBe('{"models":[]}');
  });

  it('answers a weather question with a tool call when tools are given', async () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      },
    ];
    const r = await post(url, '/api/chat', {
      model: 'llama3.2',
      stream: false,
      tools,
      messages: [{ role: 'user', content: 'weather in Paris?' }],
    });
    const calls = (JSON.parse(r.body) as { message: { tool_calls: unknown[] } }).message.tool_calls;
    expect(calls).toEqual([
      { id: expect.stringMatching(/^call_[a-z0-9]{8}$/), function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } },
    ]);
  });
});

describe('markers', () => {
  it('[[sim:error-after=N]] streams N chunks then an error line, or 500 without streaming', async () => {
    const prompt = 'x [[sim:error-after=2]]';
    const r = await post(url, '/api/generate', { model: 'llama3.2', prompt });
    const out = r.body.split('\n');
    expect(out).toHaveLength(4);
    expect(out[2]).toBe('{"error":"an error was encountered while running the model: simulated failure"}');
    expect(r.body).not.toContain('"done":true');
    const buffered = await post(url, '/api/generate', { model: 'llama3.2', prompt, stream: false });
    expect([buffered.status, buffered.headers['content-type']]).toEqual([500, 'application/json; charset=utf-8']);
    const early = await post(url, '/api/generate', { model: 'llama3.2', prompt: 'x [[sim:error-after=0]]' });
    expect([early.status, early.headers['content-type']]).toEqual([500, 'application/json']);
  });

  it('[[sim:tokens=N]] sets the length and [[sim:fail-load]] fails the load with 500', async () => {
    const r = await post(url, '/api/generate', { model: 'llama3.2', prompt: 'p [[sim:tokens=3]]', stream: false });
    expect((JSON.parse(r.body) as { eval_count: number }).eval_count).toBe(3);
    const fail = await post(url, '/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: '[[sim:fail-load]]' }] });
    expect([fail.status, fail.body]).toEqual([500, '{"error":"llama runner process has terminated: simulated load failure"}']);
  });
});

/** A request whose answer the test reads as it comes, and can abandon. */
function open(base: string, path: string, body: unknown) {
  const stop = new AbortController();
  let settled = false;
  const response = fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body), signal: stop.signal });
  void response.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { response, stop: () => stop.abort(), settled: () => settled };
}

/** Reads until `count` newline-terminated lines are in, and says whether the next read settles before a round trip to the server does. */
async function readLinesThenStall(
  res: Response,
  count: number,
): Promise<{ lines: string[]; nextSettled: boolean; next: Promise<unknown> }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (text.split('\n').length <= count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  let nextSettled = false;
  const next = reader.read().finally(() => (nextSettled = true));
  next.catch(() => {});
  await raw(url, 'GET', '/api/version'); // the server has had its turns: anything it was going to send is here
  return { lines: text.split('\n').filter((l) => l !== ''), nextSettled, next };
}

/** Reads a body to its end or its break. */
async function readToBreak(res: Response): Promise<{ text: string; error?: unknown }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += Buffer.from(r.value).toString();
    return { text };
  } catch (error) {
    return { text, error };
  }
}

const lastOutcome = () => {
  const last = sim.stats().log.at(-1);
  return last?.endedAt === undefined ? 'running' : last.outcome;
};

describe('fault markers', () => {
  it('[[sim:hang]] takes the slot and sends nothing, not even headers, until the client leaves', async () => {
    const req = open(url, '/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: '[[sim:hang]]' }] });
    await expect.poll(() => sim.stats().log.at(-1)?.startedAt).toBeDefined();
    await raw(url, 'GET', '/api/version');
    expect([req.settled(), lastOutcome()]).toEqual([false, 'running']);
    req.stop();
    await expect(req.response).rejects.toThrow();
    await expect.poll(lastOutcome).toBe('aborted');
  });

  it('[[sim:hang-after=N]] streams N tokens, then stalls without ending until the client leaves', async () => {
    const req = open(url, '/api/generate', { model: 'llama3.2', prompt: 'x [[sim:hang-after=2]]' });
    const res = await req.response;
    const { lines: got, nextSettled, next } = await readLinesThenStall(res, 2);
    expect(got.map((l) => JSON.parse(l) as { response: string; done: boolean })).toEqual([
      expect.objectContaining({ response: simTokens('x [[sim:hang-after=2]]', 5)[0], done: false }),
      expect.objectContaining({ response: simTokens('x [[sim:hang-after=2]]', 5)[1], done: false }),
    ]);
    expect([nextSettled, lastOutcome()]).toEqual([false, 'running']);
    req.stop();
    await expect(next).rejects.toThrow();
    await expect.poll(lastOutcome).toBe('aborted');
  });

  it('[[sim:die-after=N]] streams N tokens, then drops the connection with no end, on every route', async () => {
    const native = await readToBreak(
      await await fetch(`${url}/api/chat`, {
        method: 'POST',
        body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: '[[sim:die-after=2]]' }] }),
      }),
    );
    expect([lines(native.text).map((c) => c.done), native.error]).toEqual([[false, false], expect.any(Error)]);
    expect(lastOutcome()).toBe('error');
    const sse = await readToBreak(
      await await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: '[[sim:die-after=1]]' }] }),
      }),
    );
    expect([sse.text.match(/^data: /gm)?.length, sse.text.includes('[DONE]'), sse.error]).toEqual([1, false, expect.any(Error)]);
    const buffered = fetch(`${url}/api/generate`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2', prompt: '[[sim:die-after=3]]', stream: false }),
    });
    await expect(buffered).rejects.toThrow();
    await expect.poll(lastOutcome).toBe('error');
  });
});

describe('lifecycle', () => {
  it('closes with a request still hanging, and a new simulator can listen on the same port', async () => {
    const first = createSimulator({ loadMs: 1, tokensPerSecond: 0 });
    const firstUrl = await first.listen();
    const hung = open(firstUrl, '/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: '[[sim:hang]]' }] });
    await expect.poll(() => first.stats().log.at(-1)?.startedAt).toBeDefined();
    await first.close();
    await expect(hung.response).rejects.toThrow();
    const second = createSimulator({ loadMs: 1, tokensPerSecond: 0 });
    try {
      expect(await second.listen(Number(new URL(firstUrl).port))).toBe(firstUrl);
      const r = await post(firstUrl, '/api/generate', { model: 'llama3.2', prompt: 'x', stream: false });
      expect([r.status, second.stats().loads, second.stats().requests]).toEqual([200, 1, 1]);
    } finally {
      await second.close();
    }
  });
});

describe('embeddings and metadata', () => {
  it('embeds with float32 formatting, and on chat models too', async () => {
    const r = await post(url, '/api/embed', { model: 'nomic-embed-text', input: ['a', 'b'], dimensions: 8 });
    const body = JSON.parse(r.body) as { model: string; embeddings: number[][]; prompt_eval_count: number };
    expect(Object.keys(body)).toEqual(['model', 'embeddings', 'total_duration', 'load_duration', 'prompt_eval_count']);
    expect(body.embeddings.map((e) => e.length)).toEqual([8, 8]);
    expect(Math.hypot(...(body.embeddings[0] as number[]))).toBeCloseTo(1, 5);
    expect((await post(url, '/api/embed', { model: 'llama3.2', input: 'x' })).status).toBe(200);
    expect((await post(url, '/api/embed', { model: 'llama3.2', input: 5 })).body).toBe('{"error":"invalid input type"}');
    expect((await post(url, '/api/embeddings', { model: 'nomic-embed-text' })).body).toBe('{"embedding":[]}');
  });

  it('lists, shows, copies and deletes models', async () => {
    const tags = JSON.parse((await raw(url, 'GET', '/api/tags')).body) as { models: Array<{ name: string; modified_at: string }> };
    expect(tags.models.map((m) => m.name)).toContain('llama3.2:latest');
    expect(tags.models[0]?.modified_at).toMatch(/[+-]\d\d:\d\d$/);
    const show = JSON.parse((await post(url, '/api/show', { model: 'qwen3:0.6b' })).body) as { capabilities: string[] };
    expect(show.capabilities).toEqual(['completion', 'tools', 'thinking']);
    const copy = await post(url, '/api/copy', { source: 'llama3.2', destination: 'mine' });
    expect([copy.status, copy.body, copy.headers['content-length']]).toEqual([200, '', '0']);
    expect((await post(url, '/api/copy', { source: 'zzz', destination: 'y' })).body).toBe('{"error":"model \\"zzz\\" not found"}');
    expect((await raw(url, 'DELETE', '/api/delete', JSON.stringify({ model: 'mine' }))).status).toBe(200);
    expect((await raw(url, 'DELETE', '/api/delete', JSON.stringify({ model: 'mine' }))).body).toBe(`{"error":"model 'mine' not found"}`);
  });

  it('pulls with NDJSON progress, or one charset-less JSON object with stream:false', async () => {
    const r = await post(url, '/api/pull', { model: 'phi4' });
    const steps = lines(r.body);
    expect([r.headers['content-type'], steps.at(-1)]).toEqual(['application/x-ndjson', { status: 'success' }]);
    const once = await post(url, '/api/pull', { model: 'phi4', stream: false });
    expect([once.headers['content-type'], once.body]).toEqual(['application/json', '{"status":"success"}']);
    expect((await post(url, '/api/show', { model: 'phi4' })).status).toBe(200);
  });

  it('checks and stores blobs', async () => {
    const digest = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'; // sha256("hello")
    expect((await raw(url, 'HEAD', `/api/blobs/${digest}`)).status).toBe(404);
    expect((await raw(url, 'POST', `/api/blobs/${digest}`, 'hello')).status).toBe(201);
    expect((await raw(url, 'HEAD', `/api/blobs/${digest}`)).status).toBe(200);
    expect((await raw(url, 'POST', `/api/blobs/sha256:${'0'.repeat(64)}`, 'hello')).status).toBe(400);
  });
});

describe('OpenAI surface', () => {
  it('streams SSE with role first, a separate finish chunk, usage and [DONE]', async () => {
    const r = await post(url, '/v1/chat/completions', {
      model: 'llama3.2',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(r.headers['content-type']).toBe('text/event-stream');
    const events = r.body.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const data = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e.slice(6)) as {
          id: string;
          choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>;
          usage?: unknown;
        },
    );
    expect(data[0]?.id).toMatch(/^chatcmpl-\d+$/);
    expect(data[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: expect.any(String) });
    expect(data[1]?.choices[0]?.delta).not.toHaveProperty('role');
    expect(data.at(-2)?.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
    expect(data.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 5 } });
  });

  it('answers non-stream chat with usage, and errors in the OpenAI shape', async () => {
    const ok = await post(url, '/v1/chat/completions', { model: 'llama3.2', messages: [{ role: 'user', content: 'hello' }] });
    expect(ok.headers['content-type']).toBe('application/json');
    expect(JSON.parse(ok.body)).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: simText('hello', 5) }, finish_reason: 'stop' }],
    });
    const empty = await post(url, '/v1/chat/completions', { model: 'llama3.2', messages: [] });
    expect([empty.status, empty.body]).toEqual([
      400,
      `{"error":{"message":"[] is too short - 'messages'","type":"invalid_request_error","param":null,"code":null}}`,
    ]);
    const missing = await post(url, '/v1/chat/completions', { model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    expect([missing.status, missing.headers['content-type'], missing.body]).toEqual([
      404,
      'application/json',
      `{"error":{"message":"model 'nope' not found","type":"not_found_error","param":null,"code":null}}\n`,
    ]);
  });

  it('ends a stream with one bogus chunk and no [DONE] on a mid-stream error', async () => {
    const r = await post(url, '/v1/chat/completions', {
      model: 'llama3.2',
      stream: true,
      messages: [{ role: 'user', content: '[[sim:error-after=1]]' }],
    });
    const events = r.body.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(2);
    expect(JSON.parse((events[1] as string).slice(6))).toMatchObject({
      model: '',
      choices: [{ delta: { content: '' }, finish_reason: null }],
    });
  });

  it('serves completions, embeddings, models and responses', async () => {
    const c = JSON.parse((await post(url, '/v1/completions', { model: 'llama3.2', prompt: 'hello' })).body) as {
      choices: Array<{ text: string }>;
    };
    expect(c.choices[0]?.text).toBe(simText('hello', 5));
    const e = JSON.parse((await post(url, '/v1/embeddings', { model: 'nomic-embed-text', input: 'a' })).body) as {
      data: Array<{ embedding: number[] }>;
    };
    expect(e.data[0]?.embedding).toHaveLength(768);
    const models = JSON.parse((await raw(url, 'GET', '/v1/models')).body) as { data: Array<{ id: string; owned_by: string }> };
    expect(models.data[0]).toMatchObject({ object: 'model', owned_by: 'library' });
    expect(JSON.parse((await raw(url, 'GET', '/v1/models/llama3.2')).body)).toMatchObject({ id: 'llama3.2', object: 'model' });
    const stream = await post(url, '/v1/responses', { model: 'llama3.2', input: 'hello', stream: true });
    const names = stream.body
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.split('\n')[0]);
    expect(names[0]).toBe('event: response.created');
    expect(names.at(-1)).toBe('event: response.completed');
    expect(names).toContain('event: response.output_text.delta');
    expect(stream.headers['cache-control']).toBe('no-cache');
  });

  it('lists no models as data:null', async () => {
    const empty = createSimulator({ models: [] });
    const base = await empty.listen();
    try {
      expect((await raw(base, 'GET', '/v1/models')).body).toBe('{"object":"list","data":null}\n');
      expect((await raw(base, 'GET', '/api/tags')).body).toBe('{"models":[]}');
    } finally {
      await empty.close();
    }
  });
});

describe('security middlewares', () => {
  it('rejects a foreign Host on a loopback listener with an empty 403', async () => {
    const r = await raw(url, 'GET', '/api/tags', undefined, { Host: 'evil.example' });
    expect([r.status, r.body, r.headers['content-type']]).toEqual([403, '', undefined]);
    expect((await raw(url, 'GET', '/api/version', undefined, { Host: 'box.local:11434' })).status).toBe(200);
  });

  it('applies the CORS allow-list', async () => {
    const bad = await raw(url, 'GET', '/api/version', undefined, { Origin: 'https://evil.example' });
    expect([bad.status, bad.body]).toEqual([403, '']);
    const ok = await raw(url, 'GET', '/api/version', undefined, { Origin: 'http://localhost:5173' });
    expect([ok.status, ok.headers['access-control-allow-origin'], ok.headers.vary]).toEqual([200, 'http://localhost:5173', 'Origin']);
    const pre = await raw(url, 'OPTIONS', '/api/chat', undefined, {
      Origin: 'http://127.0.0.1:3000',
      'Access-Control-Request-Method': 'POST',
    });
    expect([pre.status, pre.headers['access-control-max-age']]).toEqual([204, '43200']);
    expect(pre.headers.vary).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  });
});
