/**
 * Ollama's route table (GenerateRoutes) and gin's router behaviour around it: 404 and 405 pages
 * (`text/plain`, 405 with `Allow`), and the trailing-slash redirect that runs before any middleware.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { goJsonStringify } from '../ollama/go-json.js';
import { CT_JSON_UTF8 } from '../ollama/wire.js';
import { createNativeEmbedWriter, nativeEmbedCall, runEmbed } from './sim-embed.js';
import { readBody, sendBody, type Headers } from './sim-http.js';
import { handleCopy, handleCreateBlob, handleDelete, handleHeadBlob, handlePs, handleShow, handleTags, sendJson } from './sim-meta.js';
import { nativeCall, runInference, type Outcome, type SimEnv, type Trace } from './sim-native.js';
import { handleChatCompletions, handleCompletions, handleOpenAIEmbeddings, handleOpenAIModel, handleOpenAIModels } from './sim-openai.js';
import { handleCreate, handlePull, handlePush } from './sim-progress.js';
import { createNativeWriter } from './sim-reply.js';
import { handleResponses } from './sim-responses.js';

export interface SimRuntime extends SimEnv {
  blobs: Set<string>;
  version: string;
}

export interface RouteCtx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  /** CORS headers every reply must carry. */
  extra: Headers;
  env: SimRuntime;
  signal: AbortSignal;
  trace: Trace;
}

type Handler = (ctx: RouteCtx) => void | Promise<void> | Promise<Outcome>;

export interface Route {
  method: 'HEAD' | 'GET' | 'POST' | 'DELETE';
  path: string;
  handler: Handler;
  /** Runs a model: counted in the stats. */
  inference?: boolean;
}

const running = (ctx: RouteCtx) => sendBody(ctx.res, 200, 'text/plain; charset=utf-8', 'Ollama is running', ctx.extra);
const version = (ctx: RouteCtx) => sendJson(ctx, 200, { version: ctx.env.version });

function nativeInference(api: 'chat' | 'generate'): Handler {
  return async (ctx) => {
    const call = nativeCall(api, await readBody(ctx.req));
    const w = createNativeWriter(ctx.res, ctx.extra);
    if (typeof call === 'string') {
      w.error(400, call);
      return 'error';
    }
    return runInference(ctx.env, call, w, ctx.signal, ctx.trace);
  };
}

function nativeEmbed(api: 'embed' | 'embeddings'): Handler {
  return async (ctx) => {
    const call = nativeEmbedCall(api, await readBody(ctx.req));
    const w = createNativeEmbedWriter(ctx.res, ctx.extra, api === 'embeddings');
    if (typeof call === 'string') {
      w.error(400, call);
      return 'error';
    }
    return runEmbed(ctx.env, call, w, ctx.signal, ctx.trace);
  };
}

/** In Ollama's registration order, which is also the order of the `Allow` header. */
export const ROUTES: readonly Route[] = [
  { method: 'HEAD', path: '/', handler: running },
  { method: 'GET', path: '/', handler: running },
  { method: 'HEAD', path: '/api/version', handler: version },
  { method: 'GET', path: '/api/version', handler: version },
  { method: 'GET', path: '/api/status', handler: (ctx) => sendJson(ctx, 200, { cloud: { disabled: false, source: 'none' } }) },
  { method: 'POST', path: '/api/pull', handler: handlePull },
  { method: 'POST', path: '/api/push', handler: handlePush },
  { method: 'HEAD', path: '/api/tags', handler: handleTags },
  { method: 'GET', path: '/api/tags', handler: handleTags },
  { method: 'POST', path: '/api/show', handler: handleShow },
  { method: 'DELETE', path: '/api/delete', handler: handleDelete },
  { method: 'POST', path: '/api/create', handler: handleCreate },
  { method: 'POST', path: '/api/blobs/:digest', handler: handleCreateBlob },
  { method: 'HEAD', path: '/api/blobs/:digest', handler: handleHeadBlob },
  { method: 'POST', path: '/api/copy', handler: handleCopy },
  { method: 'GET', path: '/api/ps', handler: handlePs },
  { method: 'POST', path: '/api/generate', handler: nativeInference('generate'), inference: true },
  { method: 'POST', path: '/api/chat', handler: nativeInference('chat'), inference: true },
  { method: 'POST', path: '/api/embed', handler: nativeEmbed('embed'), inference: true },
  { method: 'POST', path: '/api/embeddings', handler: nativeEmbed('embeddings'), inference: true },
  { method: 'POST', path: '/v1/chat/completions', handler: handleChatCompletions, inference: true },
  { method: 'POST', path: '/v1/completions', handler: handleCompletions, inference: true },
  { method: 'POST', path: '/v1/embeddings', handler: handleOpenAIEmbeddings, inference: true },
  { method: 'GET', path: '/v1/models', handler: handleOpenAIModels },
  { method: 'GET', path: '/v1/models/:model', handler: handleOpenAIModel },
  { method: 'POST', path: '/v1/responses', handler: handleResponses, inference: true },
];

const METHOD_ORDER = ['HEAD', 'GET', 'POST', 'DELETE'];

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const seg = got[i] as string;
    if (part.startsWith(':')) {
      if (seg === '') return undefined;
      params[part.slice(1)] = seg;
    } else if (part !== seg) return undefined;
  }
  return params;
}

export type RouteMatch =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'not-allowed'; allow: string }
  | { kind: 'not-found' };

export function matchRoute(method: string, path: string, search: string): RouteMatch {
  for (const route of ROUTES) {
    const params = route.method === method ? matchPath(route.path, path) : undefined;
    if (params) return { kind: 'route', route, params };
  }
  if (path.length > 1 && path.endsWith('/')) {
    const trimmed = path.slice(0, -1);
    if (ROUTES.some((r) => r.method === method && matchPath(r.path, trimmed))) {
      return { kind: 'redirect', status: method === 'GET' ? 301 : 307, location: `${trimmed}${search}` };
    }
  }
  const allow = METHOD_ORDER.filter((m) => ROUTES.some((r) => r.method === m && matchPath(r.path, path)));
  return allow.length > 0 ? { kind: 'not-allowed', allow: allow.join(', ') } : { kind: 'not-found' };
}

/** Go's `http.Redirect`: an HTML body only for GET. */
export function sendRedirect(req: IncomingMessage, res: ServerResponse, status: number, location: string): void {
  const text = status === 301 ? 'Moved Permanently' : 'Temporary Redirect';
  const html = req.method === 'GET' || req.method === 'HEAD';
  const body = req.method === 'GET' ? `<a href="${location.replace(/&/g, '&amp;').replace(/"/g, '&#34;')}">${text}</a>.\n\n` : '';
  sendBody(res, status, html ? 'text/html; charset=utf-8' : undefined, body, { Location: location });
}

export function sendStatsJson(res: ServerResponse, body: unknown): void {
  sendBody(res, 200, CT_JSON_UTF8, goJsonStringify(body));
}
