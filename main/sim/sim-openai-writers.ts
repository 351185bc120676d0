/**
 * The OpenAI middleware's response writers (middleware/openai.go): they receive what the native
 * handler writes and translate it. Errors from the handler become the OpenAI error shape with
 * `application/json` and json.Encoder's trailing newline; streams become `data: {json}\n\n` SSE.
 */
import type { ServerResponse } from 'node:http';
import { goJsonStringify } from '../ollama/go-json.js';
import { CT_JSON, CT_SSE, openaiErrorBody } from '../ollama/wire.js';
import { endResponse, sendBody, startStream, writeChunk, type Headers } from './sim-http.js';
import type { ChatChunk, EmbedResult, EmbedWriter, GenerateChunk, NativeChunk, ReplyWriter, ToolCall } from './sim-reply.js';
import { float32ArrayJson, float32Base64 } from './sim-text.js';

export interface StreamOptions {
  include_usage?: boolean;
}

/** `BaseWriter.writeError`. */
function writeError(res: ServerResponse, extra: Headers, status: number, message: string): void {
  sendBody(res, status, CT_JSON, `${openaiErrorBody(status, message)}\n`, extra);
}

function usage(c: NativeChunk): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const p = c.prompt_eval_count ?? 0;
  const e = c.eval_count ?? 0;
  return { prompt_tokens: p, completion_tokens: e, total_tokens: p + e };
}

const unix = (createdAt: string) => Math.floor(Date.parse(createdAt) / 1000);

function openaiToolCalls(calls: ToolCall[]) {
  return calls.map((tc) => ({
    id: tc.id,
    index: tc.function.index,
    type: 'function',
    function: { name: tc.function.name, arguments: JSON.stringify(tc.function.arguments) },
  }));
}

export function createChatWriter(
  res: ServerResponse,
  extra: Headers,
  opts: { stream: boolean; streamOptions?: StreamOptions },
): ReplyWriter {
  const id = `chatcmpl-${Math.floor(Math.random() * 999)}`;
  const created = Math.floor(Date.now() / 1000);
  let first = true;
  let toolCallSent = false;
  const sse = (obj: unknown) => {
    startStream(res, CT_SSE, extra);
    writeChunk(res, `data: ${goJsonStringify(obj)}\n\n`);
  };
  const frame = (model: string, choices: unknown[], extraFields: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_ollama',
    choices,
    ...extraFields,
  });
  const delta = (fields: Record<string, unknown>) => {
    const d = first ? { role: 'assistant', ...fields } : fields;
    first = false;
    return d;
  };
  const contentChunk = (model: string, fields: Record<string, unknown>) =>
    sse(frame(model, [{ index: 0, delta: delta(fields), finish_reason: null }]));

  function streamChunk(c: ChatChunk): void {
    const m = c.message;
    const calls = m.tool_calls?.length ? openaiToolCalls(m.tool_calls) : undefined;
    // A native chunk carrying both thinking and content/calls is split into two SSE chunks.
    if (m.thinking) contentChunk(c.model, { content: '', reasoning: m.thinking });
    if (m.content !== '' || calls || (!m.thinking && !c.done)) {
      contentChunk(c.model, calls ? { content: m.content, tool_calls: calls } : { content: m.content });
    }
    if (calls) toolCallSent = true;
    if (!c.done) return;
    const reason = toolCallSent && c.done_reason === 'stop' ? 'tool_calls' : (c.done_reason ?? 'stop');
    sse(frame(c.model, [{ index: 0, delta: {}, finish_reason: reason }]));
    if (opts.streamOptions?.include_usage) sse(frame(c.model, [], { usage: usage(c) }));
    writeChunk(res, 'data: [DONE]\n\n');
  }

  function completion(c: ChatChunk): void {
    const m = c.message;
    const calls = m.tool_calls?.length ? openaiToolCalls(m.tool_calls) : undefined;
    const message: Record<string, unknown> = { role: 'assistant', content: m.content };
    if (m.thinking) message.reasoning = m.thinking;
    if (calls) message.tool_calls = calls;
    const body = {
      id,
      object: 'chat.completion',
      created: unix(c.created_at),
      model: c.model,
      system_fingerprint: 'fp_ollama',
      choices: [{ index: 0, message, finish_reason: calls ? 'tool_calls' : c.done_reason || null }],
      usage: usage(c),
    };
    sendBody(res, 200, CT_JSON, `${goJsonStringify(body)}\n`, extra);
  }

  return {
    error: (status, message) => writeError(res, extra, status, message),
    reply(body) {
      if (!opts.stream) return completion(body as ChatChunk);
      streamChunk(body as ChatChunk);
      endResponse(res);
    },
    chunk: (body) => streamChunk(body as ChatChunk),
    streamError(status, message) {
      if (!res.headersSent) return writeError(res, extra, status, message);
      // `{"error":…}` decodes as an empty ChatResponse: one bogus chunk, then the stream just ends.
      contentChunk('', { content: '' });
      endResponse(res);
    },
    end: () => endResponse(res),
  };
}

export function createCompletionWriter(
  res: ServerResponse,
  extra: Headers,
  opts: { stream: boolean; streamOptions?: StreamOptions },
): ReplyWriter {
  const id = `cmpl-${Math.floor(Math.random() * 999)}`;
  const created = Math.floor(Date.now() / 1000);
  const withUsage = opts.streamOptions?.include_usage === true;
  const zero = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const sse = (obj: unknown) => {
    startStream(res, CT_SSE, extra);
    writeChunk(res, `data: ${goJsonStringify(obj)}\n\n`);
  };
  const frame = (model: string, choices: unknown[], u?: unknown) => ({
    id,
    object: 'text_completion',
    created,
    choices,
    model,
    system_fingerprint: 'fp_ollama',
    ...(u ? { usage: u } : {}),
  });

  function streamChunk(c: GenerateChunk): void {
    sse(frame(c.model, [{ text: c.response, index: 0, finish_reason: c.done_reason || null }], withUsage ? zero : undefined));
    if (!c.done) return;
    if (withUsage) sse(frame(c.model, [], usage(c)));
    writeChunk(res, 'data: [DONE]\n\n');
  }

  return {
    error: (status, message) => writeError(res, extra, status, message),
    reply(body) {
      const c = body as GenerateChunk;
      if (opts.stream) {
        streamChunk(c);
        return endResponse(res);
      }
      const out = {
        id,
        object: 'text_completion',
        created: unix(c.created_at),
        model: c.model,
        system_fingerprint: 'fp_ollama',
        choices: [{ text: c.response, index: 0, finish_reason: c.done_reason || null }],
        usage: usage(c),
      };
      sendBody(res, 200, CT_JSON, `${goJsonStringify(out)}\n`, extra);
    },
    chunk: (body) => streamChunk(body as GenerateChunk),
    streamError(status, message) {
      if (!res.headersSent) return writeError(res, extra, status, message);
      sse(frame('', [{ text: '', index: 0, finish_reason: null }], withUsage ? zero : undefined));
      endResponse(res);
    },
    end: () => endResponse(res),
  };
}

export function createOpenAIEmbedWriter(res: ServerResponse, extra: Headers, model: string, encoding: string): EmbedWriter {
  return {
    error: (status, message) => writeError(res, extra, status, message),
    reply(r: EmbedResult) {
      const base64 = encoding.toLowerCase() === 'base64';
      const data =
        r.embeddings.length === 0
          ? 'null'
          : `[${r.embeddings.map((e, i) => `{"object":"embedding","embedding":${base64 ? JSON.stringify(float32Base64(e)) : float32ArrayJson(e)},"index":${i}}`).join(',')}]`;
      const tokens = r.prompt_eval_count ?? 0;
      const body = `{"object":"list","data":${data},"model":${goJsonStringify(model)},"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}\n`;
      sendBody(res, 200, CT_JSON, body, extra);
    },
  };
}
