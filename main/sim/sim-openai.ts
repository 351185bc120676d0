/**
 * The OpenAI-compatible routes. Like Ollama's middleware they parse the OpenAI body (errors here are
 * gin `c.JSON` replies: `application/json; charset=utf-8`, no newline), translate it into a native
 * request, and run the native handler behind a translating writer.
 */
import { decodeGoJson, goJsonStringify } from '../ollama/go-json.js';
import { CT_JSON, CT_JSON_UTF8, openaiErrorBody } from '../ollama/wire.js';
import { bindStruct, ChatCompletionRequestT, CompletionRequestT, OpenAIEmbedRequestT, type GoType } from './sim-bind.js';
import { runEmbed } from './sim-embed.js';
import { readBody, sendBody } from './sim-http.js';
import { shortModelName } from './sim-models.js';
import { runInference, type InferenceCall, type Outcome, type ToolDef } from './sim-native.js';
import { createChatWriter, createCompletionWriter, createOpenAIEmbedWriter, type StreamOptions } from './sim-openai-writers.js';
import type { RouteCtx } from './sim-routes.js';

type Body = Record<string, unknown>;

function middlewareError(ctx: RouteCtx, message: string): Outcome {
  sendBody(ctx.res, 400, CT_JSON_UTF8, openaiErrorBody(400, message), ctx.extra);
  return 'error';
}

/** The middleware's `ShouldBindJSON`: an empty body is plain `EOF` here, not "missing request body". */
export async function bindOpenAI(ctx: RouteCtx, t: Extract<GoType, { k: 'struct' }>): Promise<Body | undefined> {
  const parsed = decodeGoJson(await readBody(ctx.req));
  if (!parsed.ok) return void middlewareError(ctx, parsed.message);
  const bound = bindStruct<Body>(parsed.value, t);
  if (!bound.ok) return void middlewareError(ctx, bound.message);
  return bound.value;
}

const GO_TYPE: Record<string, string> = { number: 'float64', boolean: 'bool', string: 'string' };
function goTypeOf(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  return GO_TYPE[typeof v] ?? 'map[string]interface {}';
}

/** `openai.FromChatRequest`'s message conversion; returns an error text on bad input. */
function fromMessages(messages: Body[]): InferenceCall['messages'] | string {
  const out: InferenceCall['messages'] = [];
  for (const msg of messages) {
    const role = String(msg.role ?? '').toLowerCase();
    const content = msg.content;
    if (typeof content === 'string') out.push({ role, content });
    else if (Array.isArray(content)) {
      for (const part of content as Body[]) {
        if (typeof part !== 'object' || part === null) return 'invalid message format';
        if (part.type === 'text' && typeof part.text === 'string') out.push({ role, content: part.text });
        else if (part.type === 'image_url') out.push({ role, content: '' });
        else return 'invalid message format';
      }
    } else if (Array.isArray(msg.tool_calls)) out.push({ role, content: '' });
    else return `invalid message content type: ${goTypeOf(content)}`;
  }
  return out;
}

const EFFORT: Record<string, boolean | string> = {
  none: false,
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'max',
  max: 'max',
  ultra: 'max',
};

/** reasoning_effort / reasoning.effort → `think`. */
export function thinkFromEffort(effort: string | undefined): { think?: boolean | string } | string {
  if (!effort) return {};
  const think = EFFORT[effort];
  if (think === undefined) return `invalid reasoning value: '${effort}' (must be "high", "medium", "low", or "none")`;
  return { think };
}

function samplingOptions(r: Body): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (typeof r.stop === 'string') options.stop = [r.stop];
  else if (Array.isArray(r.stop)) options.stop = r.stop;
  if (r.max_tokens !== undefined) options.num_predict = r.max_tokens;
  options.temperature = r.temperature ?? 1.0;
  if (r.seed !== undefined) options.seed = r.seed;
  options.top_p = r.top_p || 1.0;
  return options;
}

export async function handleChatCompletions(ctx: RouteCtx): Promise<Outcome> {
  const r = await bindOpenAI(ctx, ChatCompletionRequestT);
  if (!r) return 'error';
  const messages = (r.messages as Body[] | undefined) ?? [];
  if (messages.length === 0) return middlewareError(ctx, "[] is too short - 'messages'");
  const converted = fromMessages(messages);
  if (typeof converted === 'string') return middlewareError(ctx, converted);
  const think = thinkFromEffort(
    ((r.reasoning as Body | undefined)?.effort as string | undefined) ?? (r.reasoning_effort as string | undefined),
  );
  if (typeof think === 'string') return middlewareError(ctx, think);
  const stream = r.stream === true;
  const call: InferenceCall = {
    api: 'chat',
    model: (r.model as string | undefined) ?? '',
    messages: converted,
    prompt: '',
    stream,
    tools: (r.tools as ToolDef[] | undefined) ?? [],
    options: samplingOptions(r),
    ...think,
  };
  const w = createChatWriter(ctx.res, ctx.extra, { stream, streamOptions: r.stream_options as StreamOptions | undefined });
  return runInference(ctx.env, call, w, ctx.signal, ctx.trace);
}

export async function handleCompletions(ctx: RouteCtx): Promise<Outcome> {
  const r = await bindOpenAI(ctx, CompletionRequestT);
  if (!r) return 'error';
  if (Array.isArray(r.stop) && r.stop.some((s) => typeof s !== 'string')) {
    return middlewareError(ctx, `invalid type for 'stop' field: ${goTypeOf((r.stop as unknown[]).find((s) => typeof s !== 'string'))}`);
  }
  const stream = r.stream === true;
  const call: InferenceCall = {
    api: 'generate',
    model: (r.model as string | undefined) ?? '',
    messages: [],
    prompt: (r.prompt as string | undefined) ?? '',
    stream,
    tools: [],
    options: samplingOptions(r),
  };
  const w = createCompletionWriter(ctx.res, ctx.extra, { stream, streamOptions: r.stream_options as StreamOptions | undefined });
  return runInference(ctx.env, call, w, ctx.signal, ctx.trace);
}

export async function handleOpenAIEmbeddings(ctx: RouteCtx): Promise<Outcome> {
  const r = await bindOpenAI(ctx, OpenAIEmbedRequestT);
  if (!r) return 'error';
  const encoding = (r.encoding_format as string | undefined) ?? '';
  if (encoding !== '' && !['float', 'base64'].includes(encoding.toLowerCase())) {
    return middlewareError(ctx, `Invalid value for 'encoding_format' = ${encoding}. Supported values: ['float', 'base64'].`);
  }
  let input = r.input;
  if (input === '') input = [''];
  if (input === undefined || (Array.isArray(input) && input.length === 0)) return middlewareError(ctx, 'invalid input');
  const model = (r.model as string | undefined) ?? '';
  const w = createOpenAIEmbedWriter(ctx.res, ctx.extra, model, encoding);
  const call = { api: 'embed' as const, model, input, options: {}, ...(r.dimensions ? { dimensions: r.dimensions as number } : {}) };
  return runEmbed(ctx.env, call, w, ctx.signal, ctx.trace);
}

/** `ParseName(name).Namespace`: `library` unless the name says otherwise. */
function ownedBy(name: string): string {
  const parts = shortModelName(name).split('/');
  return parts.length >= 2 ? (parts.at(-2) as string) : 'library';
}

export function handleOpenAIModels(ctx: RouteCtx): void {
  const models = ctx.env.catalog.list();
  // `openai.ToListCompletion` appends to a nil slice, so no models marshals as `null`.
  const data =
    models.length === 0
      ? null
      : models.map((m) => ({
          id: m.name,
          object: 'model',
          created: Number(m.modifiedNs / 1_000_000_000n),
          owned_by: ownedBy(m.name),
        }));
  sendBody(ctx.res, 200, CT_JSON, `${goJsonStringify({ object: 'list', data })}\n`, ctx.extra);
}

export function handleOpenAIModel(ctx: RouteCtx): void {
  const name = ctx.params.model ?? '';
  const m = ctx.env.catalog.find(name);
  if (!m) {
    sendBody(ctx.res, 404, CT_JSON, `${openaiErrorBody(404, `model '${shortModelName(name)}' not found`)}\n`, ctx.extra);
    return;
  }
  const body = { id: name, object: 'model', created: Number(m.modifiedNs / 1_000_000_000n), owned_by: ownedBy(name) };
  sendBody(ctx.res, 200, CT_JSON, `${goJsonStringify(body)}\n`, ctx.extra);
}
