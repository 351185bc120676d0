/**
 * Turns the bytes Ollama sent for one request into what foreman keeps: the answer as Ollama would have
 * returned it with `stream: false`, the error if any, and the final figures. Runs once per request,
 * after the client has its last byte, never on the per-chunk path.
 */
import { pickFigures, type JobFigures } from '../../shared/types.js';
import type { Flavor, InferenceApi } from './wire.js';

export interface Transcript {
  /** JSON text of the assembled answer, or null if there was none. */
  response: string | null;
  error: string | null;
  figures: JobFigures;
}

type Obj = Record<string, unknown>;

function figuresOf(o: Obj | undefined): JobFigures {
  if (!o) return {};
  const f = pickFigures(o);
  const usage = o.usage as Obj | undefined;
  if (usage && typeof usage === 'object') {
    // Chat and text completions name them prompt/completion tokens, the Responses API input/output.
    const input = usage.prompt_tokens ?? usage.input_tokens;
    const output = usage.completion_tokens ?? usage.output_tokens;
    if (typeof input === 'number') f.prompt_eval_count = input;
    if (typeof output === 'number') f.eval_count = output;
  }
  return f;
}

function parseJson(text: string): Obj | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Obj) : undefined;
  } catch {
    return undefined;
  }
}

/** Rebuilds Ollama's `stream: false` answer from its NDJSON chunks. */
export function assembleNdjson(api: InferenceApi, text: string): Transcript {
  let content = '';
  let thinking = '';
  const toolCalls: unknown[] = [];
  let last: Obj | undefined;
  let error: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const chunk = parseJson(line);
    if (!chunk) continue;
    if (typeof chunk.error === 'string') {
      error = chunk.error;
      continue;
    }
    last = chunk;
    const part = (api === 'chat' ? chunk.message : chunk) as Obj | undefined;
    if (!part) continue;
    const piece = api === 'chat' ? part.content : part.response;
    if (typeof piece === 'string') content += piece;
    if (typeof part.thinking === 'string') thinking += part.thinking;
    if (Array.isArray(part.tool_calls)) toolCalls.push(...part.tool_calls);
  }
  if (!last) return { response: null, error, figures: {} };
  if (last.done !== true && !error) error = 'stream ended without a final chunk';
  const answer: Obj = {};
  for (const [k, v] of Object.entries(last)) {
    if (api === 'chat' && k === 'message') {
      const m: Obj = { role: (v as Obj)?.role ?? 'assistant', content };
      if (thinking) m.thinking = thinking;
      if (toolCalls.length) m.tool_calls = toolCalls;
      answer.message = m;
    } else if (api !== 'chat' && k === 'response') {
      answer.response = content;
      if (thinking) answer.thinking = thinking;
    } else if (!(api !== 'chat' && k === 'thinking')) {
      answer[k] = v;
    }
  }
  if (api !== 'chat' && toolCalls.length) answer.tool_calls = toolCalls;
  return { response: JSON.stringify(answer), error, figures: figuresOf(last) };
}

/**
 * Summarises an OpenAI-compatible SSE stream: the text (and reasoning), the finish reason and the
 * usage; for `/v1/responses`, the `response.completed` object. Without `stream_options.include_usage`
 * Ollama sends no usage, so the answer's tokens are counted as the chunks that carried text (Ollama
 * streams one chunk per generated token, as the window's live counts assume too).
 */
export function assembleSse(text: string): Transcript {
  let content = '';
  let thinking = '';
  let chunks = 0;
  let finish: unknown = null;
  let usage: Obj | undefined;
  let completed: Obj | undefined;
  const add = (piece: unknown, into: 'content' | 'thinking') => {
    if (typeof piece !== 'string' || piece === '') return;
    if (into === 'content') content += piece;
    else thinking += piece;
    chunks++;
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const ev = parseJson(line.slice(6));
    if (!ev) continue;
    if (ev.type === 'response.completed') completed = ev.response as Obj;
    // A Responses stream that broke off still has its deltas.
    else if (ev.type === 'response.output_text.delta') add(ev.delta, 'content');
    else if (ev.type === 'response.reasoning_summary_text.delta' || ev.type === 'response.reasoning_text.delta') add(ev.delta, 'thinking');
    if (ev.usage) usage = ev.usage as Obj;
    for (const choice of (ev.choices as Obj[] | undefined) ?? []) {
      const delta = choice.delta as Obj | undefined;
      add(delta?.content, 'content');
      add(delta?.reasoning, 'thinking');
      add(choice.text, 'content');
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  if (completed) return { response: JSON.stringify(completed), error: null, figures: figuresOf({ usage: completed.usage }) };
  const summary: Obj = { content, finish_reason: finish, usage: usage ?? null };
  if (thinking) summary.thinking = thinking;
  const figures = figuresOf({ usage });
  if (figures.eval_count === undefined && chunks > 0) figures.eval_count = chunks;
  return { response: JSON.stringify(summary), error: null, figures };
}

export function assembleTranscript(options: {
  api: InferenceApi;
  flavor: Flavor;
  status: number;
  contentType: string;
  body: Buffer;
}): Transcript {
  const text = options.body.toString('utf8');
  if (options.status >= 400) {
    const o = parseJson(text);
    const err = o?.error;
    const message =
      typeof err === 'string'
        ? err
        : typeof (err as Obj)?.message === 'string'
          ? ((err as Obj).message as string)
          : text || `HTTP ${options.status}`;
    return { response: null, error: message, figures: {} };
  }
  if (options.contentType.startsWith('application/x-ndjson')) return assembleNdjson(options.api, text);
  if (options.contentType.startsWith('text/event-stream')) return assembleSse(text);
  const o = parseJson(text);
  return { response: o ? text : null, error: null, figures: figuresOf(o) };
}
