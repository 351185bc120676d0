/**
 * Hostile and sloppy input to /jobs against a real foreman: every bad body gets a 4xx `{"error"}` and
 * creates nothing, metadata is capped and stored once, and the small contract points the README states.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startStack, type Stack } from '../test-support/harness.js';
import { startReceiver, type Receiver } from '../test-support/webhook-receiver.js';

let stack: Stack;
let hook: Receiver;
beforeAll(async () => {
  stack = await startStack();
  hook = await startReceiver();
});
afterAll(async () => {
  await stack.close();
  await hook.close();
});
beforeEach(() => {
  stack.foreman.scheduler.resume();
});

/** A request with exactly these headers (fetch would add a Content-Type of its own). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const post = (body: string) => raw('POST', '/jobs', { 'content-type': 'application/json' }, body);
const jobCount = () => stack.foreman.store.listJobs({ source: 'jobs' }).length;
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('hostile /jobs bodies', () => {
  it.each([
    ['100,000-deep metadata', `{"api":"chat","request":{"model":"llama3.2"},"metadata":{"a":${deep(100_000)}}}`],
    ['100,000-deep request', `{"api":"chat","request":{"model":"llama3.2","messages":${deep(100_000)}}}`],
    ['1,001-deep request', `{"api":"chat","request":{"model":"llama3.2","x":${deep(1000)}}}`],
  ])('%s gets 400, not 500, and creates nothing', async (_name, body) => {
    const before = jobCount();
    const res = await post(body);
    expect(res).toEqual({ status: 400, json: { error: 'request body nests deeper than 1000 levels' } });
    expect(jobCount()).toBe(before);
  });

  it('takes nesting up to the limit, and brackets inside strings are text', async () => {
    const res = await post(
      `{"api":"generate","request":{"model":"llama3.2","prompt":"${'['.repeat(5000)}"},"metadata":{"a":${deep(998)}}}`,
    );
    expect(res.status).toBe(202);
  });

  it.each([
    ['priority "5"', { priority: '5' }, 'body/priority must be integer'],
    ['priority true', { priority: true }, 'body/priority must be integer'],
    ['priority null', { priority: null }, 'body/priority must be integer'],
    ['priority 1.5', { priority: 1.5 }, 'body/priority must be integer'],
    ['model 5', { request: { model: 5 } }, 'body/request/model must be string'],
    ['api ["chat"]', { api: ['chat'] }, 'body/api must be string'],
    ['metadata null', { metadata: null }, 'body/metadata must be object'],
    ['a field /jobs does not have', { prio: 5 }, 'body must NOT have additional properties'],
  ])('rejects %s with 400 instead of coercing it', async (_name, over, error) => {
    const before = jobCount();
    const res = await post(JSON.stringify({ api: 'generate', request: { model: 'llama3.2', prompt: 'x' }, ...over }));
    expect(res).toEqual({ status: 400, json: { error } });
    expect(jobCount()).toBe(before);
  });

  it('caps metadata at 64 KiB of JSON (413 beyond) and stores it once, not in every webhook row', async () => {
    const padded = (bytes: number) => ({ note: 'x'.repeat(bytes - '{"note":""}'.length) });
    const before = jobCount();
    const over = await post(
      JSON.stringify({ api: 'generate', request: { model: 'llama3.2', prompt: 'x' }, metadata: padded(64 * 1024 + 1) }),
    );
    expect(over).toEqual({ status: 413, json: { error: 'metadata is larger than 64 KiB' } });
    expect(jobCount()).toBe(before);

    const metadata = padded(64 * 1024);
    const ok = await post(
      JSON.stringify({ api: 'generate', request: { model: 'llama3.2', prompt: 'hi' }, metadata, webhook: { url: hook.url } }),
    );
    expect(ok.status).toBe(202);
    const id = ok.json.id as string;
    await expect.poll(() => hook.forJob(id).map((e) => e.body.type)).toEqual(['job.queued', 'job.working', 'job.succeeded']);
    const wh = new Webhook(stack.foreman.webhookSecret);
    for (const e of hook.forJob(id)) {
      expect(e.body.data.metadata).toEqual(metadata);
      expect(() => wh.verify(e.raw, e.headers)).not.toThrow();
    }
    // The terminal webhook is the job as GET /jobs/<id> shows it, metadata included.
    expect(hook.forJob(id)[2]!.body.data).toEqual((await raw('GET', `/jobs/${id}`, {})).json);
    const stored = stack.foreman.store.db
      .prepare(`SELECT length(payload) AS n FROM deliveries WHERE job_id = ?`)
      .pluck()
      .all(id) as number[];
    expect(stored).toHaveLength(3);
    for (const n of stored) expect(n).toBeLessThan(4096);
    // A delivery read back (log, redeliver) has the body exactly as sent.
    const sent = hook.forJob(id).map((e) => e.raw);
    expect(
      stack.foreman.store.deliveries
        .list({ jobId: id })
        .map((d) => d.payload)
        .reverse(),
    ).toEqual(sent);
  });
});

describe('the /jobs contract', () => {
  it('a POST without a Content-Type gets 400 like other bad input; another type gets 415', async () => {
    const body = '{"api":"generate","request":{"model":"llama3.2","prompt":"x"}}';
    expect(await raw('POST', '/jobs', {}, body)).toEqual({
      status: 400,
      json: { error: 'POST /jobs wants a JSON body with Content-Type: application/json' },
    });
    expect((await raw('POST', '/jobs', { 'content-type': 'text/plain' }, body)).status).toBe(415);
    expect((await raw('POST', '/jobs', { 'content-type': 'application/json; charset=utf-8' }, body)).status).toBe(202);
  });

  it('an unknown cursor gets 400 instead of the first page', async () => {
    const first = await raw('GET', '/jobs?limit=1', {});
    const cursor = first.json.next_cursor as string;
    expect(typeof cursor).toBe('string');
    expect((await raw('GET', `/jobs?limit=1&cursor=${cursor}`, {})).status).toBe(200);
    expect(await raw('GET', '/jobs?cursor=zzz', {})).toEqual({
      status: 400,
      json: { error: 'unknown cursor "zzz": pass a next_cursor from a previous page' },
    });
    // A passthrough job's id is not a /jobs cursor either.
    await (await fetch(`${stack.url}/api/generate`, { method: 'POST', body: '{"model":"llama3.2","prompt":"x","stream":false}' })).text();
    stack.foreman.store.flush();
    const [passthrough] = stack.foreman.store.listJobs({ source: 'passthrough' });
    expect((await raw('GET', `/jobs?cursor=${passthrough!.id}`, {})).status).toBe(400);
  });

  it('DELETE answers 200 only to the call that cancels; an ended job, canceled included, gets 409', async () => {
    stack.foreman.scheduler.pause();
    const { json } = await post('{"api":"generate","request":{"model":"llama3.2","prompt":"wait"}}');
    const id = json.id as string;
    const first = await raw('DELETE', `/jobs/${id}`, {});
    expect([first.status, first.json.state]).toEqual([200, 'canceled']);
    expect(await raw('DELETE', `/jobs/${id}`, {})).toEqual({ status: 409, json: { error: `job ${id} already canceled` } });
  });
});
