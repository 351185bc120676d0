/**
 * Several Ollama hosts as one Ollama to clients (registered only with more than one host; one host is
 * a plain byte pipe). Lists are unions: `/api/tags` and `/v1/models` deduplicated by name, `/api/ps`
 * every host's runners with a `foreman_host` field (JSON clients ignore fields they do not know).
 * `/api/show` and `/v1/models/:model` answer from the first host that has the model. Model management
 * (`pull`, `push`, `create`, `copy`, `delete`, blobs) goes to every host in turn, or to the one an
 * `X-Foreman-Host` header names.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { OllamaClient } from '../ollama/client.js';
import { pipeBody, writeUpstreamHead } from '../core/pipe.js';
import { HttpError } from './errors.js';

export interface UnionHost {
  id: string;
  client: OllamaClient;
  /** Whether the host takes work now (health). */
  up(): boolean;
}

export const HOST_HEADER = 'x-foreman-host';

type Json = Record<string, unknown>;

interface Answer {
  host: UnionHost;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function ask(host: UnionHost, request: FastifyRequest, body?: Buffer): Promise<Answer> {
  const res = await host.client.request({
    method: request.method,
    path: request.url,
    headers: request.headers,
    body: body ?? null,
    signal: AbortSignal.timeout(30_000),
  });
  const chunks: Buffer[] = [];
  for await (const c of res.body as AsyncIterable<Buffer>) chunks.push(c);
  return { host, status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
}

function parse(a: Answer): Json | null {
  try {
    const v: unknown = JSON.parse(a.body.toString('utf8'));
    return v && typeof v === 'object' ? (v as Json) : null;
  } catch {
    return null;
  }
}

/** Ollama's error in an answer: the body's `error`, or an `{"error":…}` line of a progress stream. */
function failureOf(a: Answer): unknown {
  if (a.status >= 400) return parse(a)?.error ?? `HTTP ${a.status}`;
  for (const line of a.body.toString('utf8').split('\n')) {
    if (!line.includes('"error"')) continue;
    try {
      const error = (JSON.parse(line) as Json).error;
      if (error !== undefined) return error;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

function send(reply: FastifyReply, a: Answer): FastifyReply {
  const type = a.headers['content-type'];
  return reply
    .code(a.status)
    .type(typeof type === 'string' ? type : 'application/json; charset=utf-8')
    .send(a.body);
}

export async function hostsUnionPlugin(app: FastifyInstance, deps: { hosts: readonly UnionHost[] }): Promise<void> {
  const { hosts } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const live = () => {
    const up = hosts.filter((h) => h.up());
    return up.length > 0 ? up : hosts;
  };

  /** Each live host's answer; hosts that cannot be reached are left out, unless all of them fail. */
  async function askAll(request: FastifyRequest, body?: Buffer): Promise<Answer[]> {
    const settled = await Promise.allSettled(live().map((h) => ask(h, request, body)));
    const answers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (answers.length === 0) {
      const reason = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason as Error | undefined;
      throw new HttpError(502, `could not reach any Ollama host (${hosts.map((h) => h.id).join(', ')}): ${reason?.message ?? 'no answer'}`);
    }
    return answers;
  }

  function named(request: FastifyRequest): UnionHost | null {
    const value = request.headers[HOST_HEADER];
    if (value === undefined) return null;
    const host = hosts.find((h) => h.id === value || h.client.upstream.origin === value);
    if (!host) throw new HttpError(400, `${HOST_HEADER}: no host "${String(value)}" (hosts: ${hosts.map((h) => h.id).join(', ')})`);
    return host;
  }

  /** The request to one host, answered byte for byte. */
  async function forwardTo(host: UnionHost, request: FastifyRequest, reply: FastifyReply, body: Buffer | Readable | undefined) {
    reply.hijack();
    const upstream = await host.client.request({ method: request.method, path: request.url, headers: request.headers, body: body ?? null });
    writeUpstreamHead(reply.raw, upstream);
    await pipeBody(reply.raw, upstream.body).catch(() => reply.raw.destroy());
  }

  /** The union of a list field, the first host's entry winning for each name. */
  function union(answers: Answer[], field: string, nameOf: (entry: Json) => string, tag?: (entry: Json, host: UnionHost) => Json): Json[] {
    const seen = new Set<string>();
    const out: Json[] = [];
    for (const a of answers) {
      if (a.status !== 200) continue;
      for (const entry of (parse(a)?.[field] as Json[] | null) ?? []) {
        const name = nameOf(entry);
        if (!tag && seen.has(name)) continue;
        seen.add(name);
        out.push(tag ? tag(entry, a.host) : entry);
      }
    }
    return out;
  }

  const lists = async (request: FastifyRequest, reply: FastifyReply) => {
    const one = named(request);
    if (one) return forwardTo(one, request, reply, undefined);
    const answers = await askAll(request);
    if (request.url.startsWith('/v1/')) {
      const data = union(answers, 'data', (m) => String(m.id));
      return reply.type('application/json').send({ object: 'list', data: data.length ? data : null });
    }
    if (request.url.startsWith('/api/ps')) {
      return reply.type('application/json; charset=utf-8').send({
        models: union(
          answers,
          'models',
          (m) => String(m.model),
          (m, h) => ({ ...m, foreman_host: h.id }),
        ),
      });
    }
    const models = union(answers, 'models', (m) => String(m.model ?? m.name));
    models.sort((a, b) => String(b.modified_at ?? '').localeCompare(String(a.modified_at ?? '')));
    return reply.type('application/json; charset=utf-8').send({ models });
  };
  app.get('/api/tags', lists);
  app.get('/api/ps', lists);
  app.get('/v1/models', lists);

  /** The first host that has the model answers; if none does, the first answer (Ollama's 404). */
  const fromHolder = async (request: FastifyRequest, reply: FastifyReply) => {
    const one = named(request);
    if (one) return forwardTo(one, request, reply, request.body as Buffer | undefined);
    const answers = await askAll(request, request.body as Buffer | undefined);
    return send(reply, answers.find((a) => a.status === 200) ?? (answers[0] as Answer));
  };
  app.post('/api/show', fromHolder);
  app.get('/v1/models/*', fromHolder);

  /**
   * Management on every host in turn: the first failure is the answer (with the host named), else the
   * last host's answer. Streamed progress is buffered per host: these are rare, human-paced calls.
   */
  const everywhere = async (request: FastifyRequest, reply: FastifyReply) => {
    const one = named(request);
    if (one) return forwardTo(one, request, reply, request.body as Buffer | undefined);
    let last: Answer | null = null;
    for (const host of live()) {
      const a = await ask(host, request, request.body as Buffer | undefined);
      const error = failureOf(a);
      if (error !== undefined)
        return reply
          .code(a.status >= 400 ? a.status : 500)
          .type('application/json; charset=utf-8')
          .send({ error: `${host.id}: ${String(error)}` });
      last = a;
    }
    return send(reply, last as Answer);
  };
  for (const path of ['/api/pull', '/api/push', '/api/create', '/api/copy', '/api/blobs/:digest']) app.post(path, everywhere);
  app.delete('/api/delete', everywhere);
  // A blob is there only if every host has it (a create then finds it wherever it runs).
  app.head('/api/blobs/:digest', async (request, reply) => {
    const one = named(request);
    if (one) return forwardTo(one, request, reply, undefined);
    const answers = await askAll(request);
    return reply.code(answers.every((a) => a.status === 200) ? 200 : 404).send();
  });
}
