/**
 * `/v1/responses` (OpenAI Responses API), translated into a native chat like Ollama does. Streams
 * are SSE with named events; their payloads are Go maps, so keys come out sorted. The non-stream
 * reply is a struct in field order, written by json.Encoder (trailing newline).
 */
import type { ServerResponse } from 'node:http';
import { goJsonStringify } from '../ollama/go-json.js';
import { CT_JSON, CT_SSE, openaiErrorBody } from '../ollama/wire.js';
import { ResponsesRequestT } from './sim-bind.js';
import { endResponse, sendBody, startStream, writeChunk, type Headers } from './sim-http.js';
import { runInference, type InferenceCall, type Outcome, type ToolDef } from './sim-native.js';
import { bindOpenAI, thinkFromEffort } from './sim-openai.js';
import type { ChatChunk, ReplyWriter, ToolCall } from './sim-reply.js';
import type { RouteCtx } from './sim-routes.js';

type Body = Record<string, unknown>;
type ToolParams = NonNullable<ToolDef['function']>['parameters'];

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Body)[k])]),
  );
}

function partText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: Body) => (typeof p?.text === 'string' ? p.text : '')).join('');
}

function toMessages(r: Body): InferenceCall['messages'] {
  const out: InferenceCall['messages'] = [];
  if (typeof r.instructions === 'string' && r.instructions !== '') out.push({ role: 'system', content: r.instructions });
  if (typeof r.input === 'string') out.push({ role: 'user', content: r.input });
  else if (Array.isArray(r.input)) {
    for (const item of r.input as Body[]) {
      if (item?.type === 'function_call_output') out.push({ role: 'tool', content: String(item.output ?? '') });
      else if (typeof item?.role === 'string') out.push({ role: item.role.toLowerCase(), content: partText(item.content) });
    }
  }
  return out;
}

export async function handleResponses(ctx: RouteCtx): Promise<Outcome> {
  const r = await bindOpenAI(ctx, ResponsesRequestT);
  if (!r) return 'error';
  const think = thinkFromEffort((r.reasoning as Body | undefined)?.effort as string | undefined);
  if (typeof think === 'string') {
    sendBody(ctx.res, 400, CT_JSON, `${openaiErrorBody(400, think)}\n`, ctx.extra);
    return 'error';
  }
  const stream = r.stream === true;
  const tools: ToolDef[] = Array.isArray(r.tools)
    ? (r.tools as Body[]).map((t) => ({ function: { name: String(t.name ?? ''), parameters: t.parameters as ToolParams } }))
    : [];
  const options: Body = { temperature: r.temperature ?? 1.0, top_p: r.top_p ?? 1.0 };
  if (r.max_output_tokens !== undefined) options.num_predict = r.max_output_tokens;
  const call: InferenceCall = {
    api: 'chat',
    model: (r.model as string | undefined) ?? '',
    messages: toMessages(r),
    prompt: '',
    stream,
    tools,
    options,
    ...think,
  };
  const extra: Headers = stream ? { ...ctx.extra, 'Cache-Control': 'no-cache', Connection: 'keep-alive' } : ctx.extra;
  return runInference(ctx.env, call, createResponsesWriter(ctx.res, extra, r, stream), ctx.signal, ctx.trace);
}

function responsesWriterState(request: Body) {
  return {
    responseId: `resp_${Math.floor(Math.random() * 999999)}`,
    itemId: `msg_${Math.floor(Math.random() * 999999)}`,
    reasoningId: `rs_${Math.floor(Math.random() * 999999)}`,
    request,
    seq: 0,
    started: false,
    reasoning: { started: false, done: false, text: '', index: 0 },
    message: { started: false, text: '', index: 0 },
    nextIndex: 0,
    calls: [] as Array<{ item: Body; index: number }>,
  };
}

function responseObject(
  s: ReturnType<typeof responsesWriterState>,
  status: string,
  output: unknown[],
  usage: unknown,
  extra: Body = {},
): Body {
  const req = s.request;
  return {
    id: s.responseId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    completed_at: null,
    status,
    incomplete_details: null,
    model: req.model ?? '',
    previous_response_id: null,
    instructions: req.instructions || null,
    output,
    error: null,
    tools: req.tools ?? [],
    tool_choice: 'auto',
    truncation: req.truncation ?? 'disabled',
    parallel_tool_calls: true,
    text: { format: { type: 'text' } },
    top_p: req.top_p ?? 1,
    presence_penalty: 0,
    frequency_penalty: 0,
    top_logprobs: 0,
    temperature: req.temperature ?? 1,
    reasoning: null,
    usage,
    max_output_tokens: req.max_output_tokens ?? null,
    max_tool_calls: null,
    store: false,
    background: req.background ?? false,
    service_tier: 'default',
    metadata: {},
    safety_identifier: null,
    prompt_cache_key: null,
    ...extra,
  };
}

function outputItems(s: ReturnType<typeof responsesWriterState>): Body[] {
  const items: Array<{ index: number; item: Body }> = [];
  if (s.reasoning.started) items.push({ index: s.reasoning.index, item: reasoningItem(s) });
  if (s.message.started) items.push({ index: s.message.index, item: messageItem(s, 'completed') });
  items.push(...s.calls.map((c) => ({ index: c.index, item: c.item })));
  return items.sort((a, b) => a.index - b.index).map((i) => i.item);
}

function reasoningItem(s: ReturnType<typeof responsesWriterState>): Body {
  const text = s.reasoning.text;
  return { id: s.reasoningId, type: 'reasoning', summary: [{ type: 'summary_text', text }], encrypted_content: text };
}

function messageItem(s: ReturnType<typeof responsesWriterState>, status: string): Body {
  const content = status === 'completed' ? [{ type: 'output_text', text: s.message.text, annotations: [], logprobs: [] }] : [];
  return { id: s.itemId, type: 'message', status, role: 'assistant', content };
}

function usageOf(c: ChatChunk): Body {
  const i = c.prompt_eval_count ?? 0;
  const o = c.eval_count ?? 0;
  return {
    input_tokens: i,
    output_tokens: o,
    total_tokens: i + o,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
}

function createResponsesWriter(res: ServerResponse, extra: Headers, request: Body, stream: boolean): ReplyWriter {
  const s = responsesWriterState(request);
  const event = (type: string, data: Body) => {
    startStream(res, CT_SSE, extra);
    const payload = sortKeys({ ...data, type, sequence_number: s.seq++ });
    writeChunk(res, `event: ${type}\ndata: ${goJsonStringify(payload)}\n\n`);
  };
  const finishReasoning = () => {
    if (!s.reasoning.started || s.reasoning.done) return;
    s.reasoning.done = true;
    const { index, text } = s.reasoning;
    event('response.reasoning_summary_text.done', { item_id: s.reasoningId, output_index: index, summary_index: 0, text });
    event('response.output_item.done', { output_index: index, item: reasoningItem(s) });
  };

  function process(c: ChatChunk): void {
    const m = c.message;
    if (!s.started) {
      s.started = true;
      event('response.created', { response: responseObject(s, 'in_progress', [], null) });
      event('response.in_progress', { response: responseObject(s, 'in_progress', [], null) });
    }
    if (m.thinking) {
      if (!s.reasoning.started) {
        s.reasoning = { ...s.reasoning, started: true, index: s.nextIndex++ };
        event('response.output_item.added', {
          output_index: s.reasoning.index,
          item: { id: s.reasoningId, type: 'reasoning', summary: [] },
        });
      }
      s.reasoning.text += m.thinking;
      event('response.reasoning_summary_text.delta', {
        item_id: s.reasoningId,
        output_index: s.reasoning.index,
        summary_index: 0,
        delta: m.thinking,
      });
    }
    if (m.content) {
      finishReasoning();
      if (!s.message.started) {
        s.message = { ...s.message, started: true, index: s.nextIndex++ };
        event('response.output_item.added', { output_index: s.message.index, item: messageItem(s, 'in_progress') });
        event('response.content_part.added', {
          item_id: s.itemId,
          output_index: s.message.index,
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
        });
      }
      s.message.text += m.content;
      event('response.output_text.delta', {
        item_id: s.itemId,
        output_index: s.message.index,
        content_index: 0,
        delta: m.content,
        logprobs: [],
      });
    }
    for (const tc of m.tool_calls ?? []) callEvents(tc);
    if (c.done) completeEvents(c);
  }

  function callEvents(tc: ToolCall): void {
    finishReasoning();
    const index = s.nextIndex++;
    const id = `fc_${Math.floor(Math.random() * 999999)}_${s.calls.length}`;
    const args = JSON.stringify(tc.function.arguments);
    const item = { id, type: 'function_call', status: 'completed', call_id: tc.id, name: tc.function.name, arguments: args };
    s.calls.push({ item, index });
    event('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', arguments: '' } });
    event('response.function_call_arguments.delta', { item_id: id, output_index: index, delta: args });
    event('response.function_call_arguments.done', { item_id: id, output_index: index, arguments: args });
    event('response.output_item.done', { output_index: index, item });
  }

  function completeEvents(c: ChatChunk): void {
    finishReasoning();
    if (s.message.started) {
      const base = { item_id: s.itemId, output_index: s.message.index, content_index: 0 };
      event('response.output_text.done', { ...base, text: s.message.text, logprobs: [] });
      event('response.content_part.done', { ...base, part: { type: 'output_text', text: s.message.text, annotations: [], logprobs: [] } });
      event('response.output_item.done', { output_index: s.message.index, item: messageItem(s, 'completed') });
    }
    const response = responseObject(s, 'completed', outputItems(s), usageOf(c), { completed_at: Math.floor(Date.now() / 1000) });
    event('response.completed', { response });
  }

  return {
    error: (status, message) => sendBody(res, status, CT_JSON, `${openaiErrorBody(status, message)}\n`, extra),
    reply(body) {
      const c = body as ChatChunk;
      if (stream) {
        process(c);
        return endResponse(res);
      }
      // Replay the whole answer through the converter's state to build the same items.
      s.reasoning = { started: Boolean(c.message.thinking), done: true, text: c.message.thinking ?? '', index: 0 };
      s.nextIndex = s.reasoning.started ? 1 : 0;
      if (c.message.content) s.message = { started: true, text: c.message.content, index: s.nextIndex++ };
      for (const tc of c.message.tool_calls ?? []) {
        s.calls.push({
          index: s.nextIndex++,
          item: {
            id: `fc_${Math.floor(Math.random() * 999999)}_${s.calls.length}`,
            type: 'function_call',
            status: 'completed',
            call_id: tc.id,
            name: tc.function.name,
            arguments: JSON.stringify(tc.function.arguments),
          },
        });
      }
      const out = responseObject(s, 'completed', outputItems(s), usageOf(c), {
        created_at: Math.floor(Date.parse(c.created_at) / 1000),
        completed_at: Math.floor(Date.now() / 1000),
      });
      sendBody(res, 200, CT_JSON, `${goJsonStringify(out)}\n`, extra);
    },
    chunk: (body) => process(body as ChatChunk),
    streamError(status, message) {
      if (!res.headersSent) return sendBody(res, status, CT_JSON, `${openaiErrorBody(status, message)}\n`, extra);
      endResponse(res); // an `{"error"}` line converts to no event at all: the stream just stops
    },
    end: () => endResponse(res),
  };
}
