/**
 * Binds a decoded JSON value to a described Go struct the way `encoding/json` does, so type errors
 * come back in Go's words: `json: cannot unmarshal number into Go struct field ChatRequest.model of
 * type string`. Keys match case-insensitively, unknown keys are ignored, `null` leaves the zero value,
 * the first type error wins, and a custom `UnmarshalJSON` error stops decoding at once.
 */
import { goJsonTypeName } from '../ollama/go-json.js';
import { DurationError, parseGoDuration } from '../ollama/go-duration.js';

export type GoType =
  | { k: 'string' | 'bool' | 'float' | 'any' | 'map' }
  | { k: 'int'; go?: string }
  | { k: 'array'; of: GoType; go: string }
  | { k: 'struct'; name: string; go: string; fields: Record<string, GoType> }
  /** A type with its own `UnmarshalJSON`: returns the value, or throws `CustomError`. */
  | { k: 'custom'; parse: (v: unknown) => unknown };

export class CustomError extends Error {}

type Ctx = { struct: string; path: string[] };
type BindState = { saved?: string };

const GO_NAMES: Record<string, string> = {
  string: 'string',
  bool: 'bool',
  float: 'float64',
  any: 'interface {}',
  map: 'map[string]interface {}',
};

function goName(t: GoType): string {
  if (t.k === 'array' || t.k === 'struct') return t.go;
  if (t.k === 'int') return t.go ?? 'int';
  if (t.k === 'custom') return 'custom';
  return GO_NAMES[t.k] ?? t.k;
}

function typeError(state: BindState, ctx: Ctx, what: string, t: GoType): undefined {
  state.saved ??=
    ctx.path.length > 0
      ? `json: cannot unmarshal ${what} into Go struct field ${ctx.struct}.${ctx.path.join('.')} of type ${goName(t)}`
      : `json: cannot unmarshal ${what} into Go value of type ${goName(t)}`;
  return undefined;
}

function bindValue(v: unknown, t: GoType, ctx: Ctx, state: BindState): unknown {
  if (t.k === 'custom') return v === null ? undefined : t.parse(v);
  if (v === null || t.k === 'any') return v ?? undefined;
  const json = goJsonTypeName(v);
  switch (t.k) {
    case 'string':
      return typeof v === 'string' ? v : typeError(state, ctx, json, t);
    case 'bool':
      return typeof v === 'boolean' ? v : typeError(state, ctx, json, t);
    case 'float':
      return typeof v === 'number' ? v : typeError(state, ctx, json, t);
    case 'int':
      if (typeof v !== 'number') return typeError(state, ctx, json, t);
      return Number.isInteger(v) ? v : typeError(state, ctx, `number ${String(v)}`, t);
    case 'map':
      return json === 'object' ? v : typeError(state, ctx, json, t);
    case 'array':
      if (!Array.isArray(v)) return typeError(state, ctx, json, t);
      return v.map((el) => bindValue(el, t.of, ctx, state));
    case 'struct': {
      if (json !== 'object') return typeError(state, ctx, json, t);
      const out: Record<string, unknown> = {};
      const lower = new Map(Object.keys(t.fields).map((f) => [f.toLowerCase(), f]));
      for (const [key, raw] of Object.entries(v as Record<string, unknown>)) {
        const field = t.fields[key] !== undefined ? key : lower.get(key.toLowerCase());
        if (field === undefined) continue;
        const ft = t.fields[field] as GoType;
        const bound = bindValue(raw, ft, { struct: t.name, path: [...ctx.path, field] }, state);
        if (bound !== undefined) out[field] = bound;
      }
      return out;
    }
  }
}

export type BindResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Binds a top-level request body (`null` is an empty struct, as in Go). */
export function bindStruct<T>(value: unknown, t: Extract<GoType, { k: 'struct' }>): BindResult<T> {
  const state: BindState = {};
  try {
    const out = value === null ? {} : bindValue(value, t, { struct: t.name, path: [] }, state);
    if (state.saved !== undefined) return { ok: false, message: state.saved };
    return { ok: true, value: out as T };
  } catch (err) {
    if (err instanceof CustomError) return { ok: false, message: err.message };
    throw err;
  }
}

const S: GoType = { k: 'string' };
const B: GoType = { k: 'bool' };
const I: GoType = { k: 'int' };
const F: GoType = { k: 'float' };
const ANY: GoType = { k: 'any' };
const MAP: GoType = { k: 'map' };

export function struct(name: string, pkg: string, fields: Record<string, GoType>): Extract<GoType, { k: 'struct' }> {
  return { k: 'struct', name, go: `${pkg}.${name}`, fields };
}
const arr = (of: GoType, go: string): GoType => ({ k: 'array', of, go });

/** `api.Duration`: seconds as a number, a Go duration string; negative means forever (Infinity here). */
const keepAlive: GoType = {
  k: 'custom',
  parse(v) {
    if (typeof v === 'number') return v < 0 ? Infinity : v * 1000;
    if (typeof v === 'string') {
      let ms: number;
      try {
        ms = parseGoDuration(v);
      } catch (err) {
        throw err instanceof DurationError ? new CustomError(err.message) : err;
      }
      return ms < 0 ? Infinity : ms;
    }
    const type = Array.isArray(v) ? '[]interface {}' : typeof v === 'object' ? 'map[string]interface {}' : goJsonTypeName(v);
    throw new CustomError(`Unsupported type: '${type}'`);
  },
};

const THINK_LEVELS = ['high', 'medium', 'low', 'max'];
/** `api.ThinkValue`: a bool or a level string. */
const think: GoType = {
  k: 'custom',
  parse(v) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      if (THINK_LEVELS.includes(v)) return v;
      throw new CustomError(`invalid think value: ${JSON.stringify(v)} (must be "high", "medium", "low", "max", true, or false)`);
    }
    throw new CustomError('think must be a boolean or string ("high", "medium", "low", "max", true, or false)');
  },
};

const toolCall = struct('ToolCall', 'api', {
  id: S,
  function: struct('ToolCallFunction', 'api', { index: I, name: S, arguments: ANY }),
});

/** `api.Message` decodes through a local `Alias` type (to lowercase the role), so its errors name `Alias`. */
const messageAlias = struct('Alias', 'api', {
  role: S,
  content: S,
  thinking: S,
  images: arr(S, '[]api.ImageData'),
  tool_calls: arr(toolCall, '[]api.ToolCall'),
  tool_name: S,
  tool_call_id: S,
});
const message: GoType = {
  k: 'custom',
  parse(v) {
    const r = bindStruct<Record<string, unknown>>(v, messageAlias);
    if (!r.ok) throw new CustomError(r.message);
    return { ...r.value, role: String(r.value.role ?? '').toLowerCase() };
  },
};

const tool = struct('Tool', 'api', {
  type: S,
  items: ANY,
  function: struct('ToolFunction', 'api', { name: S, description: S, parameters: ANY }),
});
const tools = arr(tool, '[]api.Tool');

export const ChatRequestT = struct('ChatRequest', 'api', {
  model: S,
  messages: arr(message, '[]api.Message'),
  stream: B,
  format: ANY,
  keep_alive: keepAlive,
  tools,
  options: MAP,
  think,
  truncate: B,
  shift: B,
  logprobs: B,
  top_logprobs: I,
});
export const GenerateRequestT = struct('GenerateRequest', 'api', {
  model: S,
  prompt: S,
  suffix: S,
  system: S,
  template: S,
  context: arr(I, '[]int'),
  stream: B,
  raw: B,
  format: ANY,
  keep_alive: keepAlive,
  images: arr(S, '[]api.ImageData'),
  options: MAP,
  think,
  truncate: B,
  shift: B,
  logprobs: B,
  top_logprobs: I,
});
export const EmbedRequestT = struct('EmbedRequest', 'api', {
  model: S,
  input: ANY,
  keep_alive: keepAlive,
  truncate: B,
  dimensions: I,
  options: MAP,
});
export const EmbeddingRequestT = struct('EmbeddingRequest', 'api', { model: S, prompt: S, keep_alive: keepAlive, options: MAP });
export const ShowRequestT = struct('ShowRequest', 'api', { model: S, name: S, system: S, template: S, verbose: B, options: MAP });
export const PullRequestT = struct('PullRequest', 'api', { model: S, name: S, insecure: B, stream: B });
export const PushRequestT = struct('PushRequest', 'api', { model: S, name: S, insecure: B, stream: B });
export const CreateRequestT = struct('CreateRequest', 'api', { model: S, name: S, from: S, stream: B, files: MAP, system: S, template: S });
export const CopyRequestT = struct('CopyRequest', 'api', { source: S, destination: S });
export const DeleteRequestT = struct('DeleteRequest', 'api', { model: S, name: S });

const streamOptions = struct('StreamOptions', 'openai', { include_usage: B });
const oaToolCall = struct('ToolCall', 'openai', {
  id: S,
  index: I,
  type: S,
  function: struct('', 'openai', { name: S, arguments: S }),
});
const oaMessage = struct('Message', 'openai', {
  role: S,
  content: ANY,
  reasoning: S,
  tool_calls: arr(oaToolCall, '[]openai.ToolCall'),
  name: S,
  tool_call_id: S,
});
export const ChatCompletionRequestT = struct('ChatCompletionRequest', 'openai', {
  model: S,
  messages: arr(oaMessage, '[]openai.Message'),
  stream: B,
  stream_options: streamOptions,
  max_tokens: I,
  seed: I,
  stop: ANY,
  temperature: F,
  frequency_penalty: F,
  presence_penalty: F,
  top_p: F,
  response_format: struct('ResponseFormat', 'openai', { type: S, json_schema: ANY }),
  tools,
  reasoning: struct('Reasoning', 'openai', { effort: S }),
  reasoning_effort: S,
});
export const CompletionRequestT = struct('CompletionRequest', 'openai', {
  model: S,
  prompt: S,
  frequency_penalty: { k: 'float' },
  max_tokens: I,
  presence_penalty: F,
  seed: I,
  stop: ANY,
  stream: B,
  stream_options: streamOptions,
  temperature: F,
  top_p: F,
  suffix: S,
});
export const OpenAIEmbedRequestT = struct('EmbedRequest', 'openai', { input: ANY, model: S, dimensions: I, encoding_format: S });
export const ResponsesRequestT = struct('ResponsesRequest', 'openai', {
  model: S,
  input: ANY,
  instructions: S,
  stream: B,
  max_output_tokens: I,
  temperature: F,
  top_p: F,
  tools: ANY,
  reasoning: struct('ResponsesReasoning', 'openai', { effort: S, summary: S }),
  text: ANY,
  truncation: S,
  background: B,
});
