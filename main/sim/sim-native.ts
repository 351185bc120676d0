/**
 * The chat/generate handler, in the order Ollama's ChatHandler/GenerateHandler check things: name,
 * existence, unload, thinking, capabilities, scheduling (load), load-only reply, then generation
 * paced at `tokensPerSecond` and written through a `ReplyWriter`.
 */
import { decodeGoJson } from '../ollama/go-json.js';
import { bindStruct, ChatRequestT, GenerateRequestT } from './sim-bind.js';
import { RUNNER_INT_OPTIONS, runnerOptions } from './sim-memory.js';
import { isValidModelName, qualifiedModelName, type ModelCatalog } from './sim-models.js';
import type { ChatChunk, GenerateChunk, Metrics, NativeChunk, ReplyWriter, ToolCall } from './sim-reply.js';
import { inSlot, SchedulerError, withLease, type Lease, type SimScheduler } from './sim-scheduler.js';
import { countTokens, hash32, parseMarkers, simTokens, thinkingTokens } from './sim-text.js';
import { elapsedNs, formatUtc, nowNs, rejectOnAbort, sleep } from './sim-time.js';

export interface SimEnv {
  catalog: ModelCatalog;
  scheduler: SimScheduler;
  tokensPerSecond: number;
  defaultTokens: number;
}

/** Filled in as the request progresses, for the stats log. */
export interface Trace {
  model?: string;
  startedAt?: number;
}

export type Outcome = 'ok' | 'error' | 'aborted';

export interface ToolDef {
  function?: { name?: string; parameters?: { properties?: Record<string, { type?: string }>; required?: string[] } };
}

export interface InferenceCall {
  api: 'chat' | 'generate';
  /** The model name exactly as sent; echoed in every chunk. */
  model: string;
  messages: Array<{ role: string; content: string }>;
  prompt: string;
  system?: string;
  raw?: boolean;
  template?: string;
  context?: number[];
  stream: boolean;
  think?: boolean | string;
  tools: ToolDef[];
  options: Record<string, unknown>;
  keepAliveMs?: number;
}

export const SIMULATED_FAILURE = 'an error was encountered while running the model: simulated failure';

/** Thrown by `[[sim:die-after=N]]`: the server drops the connection without another byte, like a crash. */
export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash');
  }
}

/** Parses and binds a native `/api/chat` or `/api/generate` body; returns the call or a 400 message. */
export function nativeCall(api: 'chat' | 'generate', body: Buffer): InferenceCall | string {
  const parsed = decodeGoJson(body);
  if (!parsed.ok) return parsed.message === 'EOF' ? 'missing request body' : parsed.message;
  const bound = bindStruct<Record<string, unknown>>(parsed.value, api === 'chat' ? ChatRequestT : GenerateRequestT);
  if (!bound.ok) return bound.message;
  const r = bound.value;
  const topLogprobs = (r.top_logprobs as number | undefined) ?? 0;
  if (topLogprobs < 0 || topLogprobs > 20) return 'top_logprobs must be between 0 and 20';
  const call: InferenceCall = {
    api,
    model: (r.model as string | undefined) ?? '',
    messages: ((r.messages as InferenceCall['messages'] | undefined) ?? []).map((m) => ({ role: m.role, content: m.content ?? '' })),
    prompt: (r.prompt as string | undefined) ?? '',
    stream: (r.stream as boolean | undefined) ?? true,
    tools: (r.tools as ToolDef[] | undefined) ?? [],
    options: (r.options as Record<string, unknown> | undefined) ?? {},
  };
  for (const k of ['system', 'raw', 'template', 'context', 'think', 'keep_alive'] as const) {
    if (r[k] !== undefined) Object.assign(call, { [k === 'keep_alive' ? 'keepAliveMs' : k]: r[k] });
  }
  return call;
}

/** `Options.FromMap`'s type checks for the options the simulator reads. */
function checkOptions(options: Record<string, unknown>): string | undefined {
  for (const key of ['num_predict', ...Object.keys(RUNNER_INT_OPTIONS)]) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'number') return `option "${key}" must be of type integer`;
  }
  if (options.use_mmap !== undefined && typeof options.use_mmap !== 'boolean') return 'option "use_mmap" must be of type boolean';
  return undefined;
}

/** Fills a tool call's arguments from the tool's JSON schema, so it validates against it. */
function toolCallFor(tool: ToolDef): ToolCall {
  const params = tool.function?.parameters ?? {};
  const props = params.properties ?? {};
  const keys = params.required?.length ? params.required : Object.keys(props);
  const args: Record<string, unknown> = {};
  for (const k of keys) {
    const type = props[k]?.type;
    args[k] =
      type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : /location|city|place/i.test(k) ? 'Paris' : 'example';
  }
  const id = `call_${Array.from({ length: 8 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('')}`;
  return { id, function: { index: 0, name: tool.function?.name ?? '', arguments: args } };
}

function loadReply(call: InferenceCall, reason: 'load' | 'unload'): NativeChunk {
  const created_at = formatUtc(nowNs());
  return call.api === 'chat'
    ? { model: call.model, created_at, message: { role: 'assistant', content: '' }, done: true, done_reason: reason }
    : { model: call.model, created_at, response: '', done: true, done_reason: reason };
}

export async function runInference(env: SimEnv, call: InferenceCall, w: ReplyWriter, signal: AbortSignal, trace: Trace): Promise<Outcome> {
  const startNs = nowNs();
  trace.model = call.model;
  const chat = call.api === 'chat';
  const fail = (status: number, message: string): Outcome => {
    w.error(status, message);
    return 'error';
  };
  const empty = chat ? call.messages.length === 0 : call.prompt === '';

  if (call.model.trim() === '') return chat ? fail(400, 'model is required') : fail(404, `model '${call.model}' not found`);
  if (!isValidModelName(call.model)) return fail(400, 'invalid model name');
  const model = env.catalog.find(call.model);
  if (!model) return fail(404, `model '${call.model}' not found`);
  // A keep_alive that is 0 as a Go Duration (under a nanosecond) unloads instead of loading.
  if (empty && call.keepAliveMs !== undefined && call.keepAliveMs >= 0 && call.keepAliveMs * 1e6 < 1) {
    env.scheduler.expire(model);
    w.reply(loadReply(call, 'unload'));
    return 'ok';
  }
  if (!chat && call.raw && (call.template || call.system || call.context?.length)) {
    return fail(400, 'raw mode does not support template, system, or context');
  }
  const thinkRequested = call.think === true || typeof call.think === 'string';
  if (!model.thinking && thinkRequested) return fail(400, `${JSON.stringify(call.model)} does not support thinking`);
  if (model.kind !== 'chat') return fail(400, `${JSON.stringify(call.model)} does not support ${chat ? 'chat' : 'generate'}`);
  if (chat && call.tools.length > 0 && !model.tools) return fail(400, `${qualifiedModelName(model.name)} does not support tools`);
  const optionError = checkOptions(call.options);
  if (optionError) return fail(400, optionError);

  const lastText = chat ? (call.messages.at(-1)?.content ?? '') : call.prompt;
  const markers = parseMarkers(lastText);
  let lease: Lease;
  try {
    const options = runnerOptions(call.options);
    lease = await env.scheduler.acquire({ model, keepAliveMs: call.keepAliveMs, options, failLoad: markers.failLoad, signal });
  } catch (err) {
    if (signal.aborted) {
      w.error(499, 'request canceled'); // what Ollama answers, though nobody is left to read it
      return 'aborted';
    }
    if (err instanceof SchedulerError) return fail(err.status, err.message);
    throw err;
  }
  const loadNs = elapsedNs(startNs);
  return withLease(lease, signal, async () => {
    if (empty) {
      w.reply(loadReply(call, 'load'));
      return 'ok';
    }
    const thinking = model.thinking && (call.think ?? true) !== false;
    return inSlot(lease, signal, trace, () => generate(env, call, w, signal, { startNs, loadNs, thinking, markers, lastText }));
  });
}

interface GenContext {
  startNs: bigint;
  loadNs: number;
  thinking: boolean;
  markers: ReturnType<typeof parseMarkers>;
  lastText: string;
}

type Step = { thinking?: string; content?: string; toolCalls?: ToolCall[] };

function plan(env: SimEnv, call: InferenceCall, g: GenContext): { steps: Step[]; doneReason: 'stop' | 'length' } {
  const steps: Step[] = g.thinking ? thinkingTokens().map((t) => ({ thinking: t })) : [];
  const lastUser = [...call.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const firstTool = call.tools[0];
  if (call.api === 'chat' && firstTool && /weather/i.test(lastUser)) steps.push({ toolCalls: [toolCallFor(firstTool)] });
  else steps.push(...simTokens(g.lastText, g.markers.tokens ?? env.defaultTokens).map((t) => ({ content: t })));
  const limit = call.options.num_predict;
  if (typeof limit === 'number' && limit >= 0 && limit < steps.length)
    return { steps: steps.slice(0, Math.trunc(limit)), doneReason: 'length' };
  return { steps, doneReason: 'stop' };
}

function promptTokens(call: InferenceCall): number {
  if (call.api === 'chat') return call.messages.reduce((n, m) => n + countTokens(m.content) + 4, 0) || 1;
  return countTokens(`${call.system ?? ''}${call.prompt}`) + (call.raw ? 0 : 4);
}

async function generate(env: SimEnv, call: InferenceCall, w: ReplyWriter, signal: AbortSignal, g: GenContext): Promise<Outcome> {
  const tps = env.tokensPerSecond;
  const intervalMs = tps > 0 && Number.isFinite(tps) ? 1000 / tps : 0;
  const { steps, doneReason } = plan(env, call, g);
  const slotNs = nowNs();
  if (g.markers.hang) await rejectOnAbort(signal);
  await sleep(intervalMs, signal); // prompt evaluation
  const promptEvalNs = elapsedNs(slotNs);
  const evalStartNs = nowNs();
  const acc = { content: '', thinking: '', toolCalls: [] as ToolCall[] };
  let contentCount = 0;
  /** The fault markers, checked before each content token (`final` once all are out): fail, crash or stall. */
  const fault = async (final: boolean): Promise<Outcome | undefined> => {
    const trips = (n: number | undefined) => n !== undefined && (final ? n >= contentCount : n === contentCount);
    if (trips(g.markers.errorAfter)) {
      if (call.stream) w.streamError(500, SIMULATED_FAILURE);
      else w.error(500, SIMULATED_FAILURE);
      return 'error';
    }
    if (trips(g.markers.dieAfter)) throw new SimulatedCrash();
    if (trips(g.markers.hangAfter)) await rejectOnAbort(signal);
    return undefined;
  };
  for (const [i, step] of steps.entries()) {
    if (i > 0) await sleep(intervalMs, signal);
    if (step.content !== undefined) {
      const outcome = await fault(false);
      if (outcome) return outcome;
      contentCount++;
    }
    acc.content += step.content ?? '';
    acc.thinking += step.thinking ?? '';
    acc.toolCalls.push(...(step.toolCalls ?? []));
    if (call.stream) w.chunk(chunk(call, step.content ?? '', step.thinking, step.toolCalls));
  }
  const outcome = await fault(true);
  if (outcome) return outcome;

  const prompt = promptTokens(call);
  const metrics = {
    total_duration: elapsedNs(g.startNs),
    load_duration: g.loadNs,
    prompt_eval_count: prompt,
    prompt_eval_duration: promptEvalNs,
    eval_count: steps.length,
    eval_duration: elapsedNs(evalStartNs),
  };
  const final = call.stream
    ? chunk(call, '', undefined, undefined)
    : chunk(call, acc.content, acc.thinking || undefined, call.tools.length > 0 && acc.toolCalls.length > 0 ? acc.toolCalls : undefined);
  const context = call.api === 'generate' && !call.raw ? contextIds(g.lastText, prompt + steps.length) : undefined;
  const done = finish(final, doneReason, context, metrics);
  if (call.stream) {
    w.chunk(done);
    w.end();
  } else {
    w.reply(done);
  }
  return 'ok';
}

function chunk(call: InferenceCall, content: string, thinking?: string, toolCalls?: ToolCall[]): NativeChunk {
  const created_at = formatUtc(nowNs());
  if (call.api === 'chat') {
    const message: ChatChunk['message'] = { role: 'assistant', content };
    if (thinking) message.thinking = thinking;
    if (toolCalls?.length) message.tool_calls = toolCalls;
    return { model: call.model, created_at, message, done: false };
  }
  const out: GenerateChunk = { model: call.model, created_at, response: content, done: false };
  return thinking ? { model: call.model, created_at, response: content, thinking, done: false } : out;
}

/** Rebuilds the chunk as the done chunk so the Go field order holds: done, done_reason, [context], metrics. */
function finish(c: NativeChunk, doneReason: string, context: number[] | undefined, metrics: Required<Metrics>): NativeChunk {
  const { done: _done, ...head } = c;
  return { ...head, done: true, done_reason: doneReason, ...(context ? { context } : {}), ...metrics } as NativeChunk;
}

function contextIds(seed: string, length: number): number[] {
  const base = hash32(seed);
  return Array.from({ length }, (_, i) => (base + i * 7919) % 128000);
}
