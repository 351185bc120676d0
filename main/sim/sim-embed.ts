/**
 * `/api/embed` and the legacy `/api/embeddings` (EmbedHandler / EmbeddingsHandler). Embedding needs
 * no capability in Ollama, so chat models embed too. Vectors are deterministic per input text.
 */
import type { ServerResponse } from 'node:http';
import { decodeGoJson, goJsonStringify } from '../ollama/go-json.js';
import { CT_JSON_UTF8, nativeErrorBody } from '../ollama/wire.js';
import { bindStruct, EmbeddingRequestT, EmbedRequestT } from './sim-bind.js';
import { sendBody, type Headers } from './sim-http.js';
import { runnerOptions } from './sim-memory.js';
import { isValidModelName } from './sim-models.js';
import type { Outcome, SimEnv, Trace } from './sim-native.js';
import type { EmbedResult, EmbedWriter } from './sim-reply.js';
import { inSlot, SchedulerError, withLease } from './sim-scheduler.js';
import { countTokens, embedVector, float32ArrayJson } from './sim-text.js';
import { elapsedNs, nowNs, sleep } from './sim-time.js';

export interface EmbedCall {
  api: 'embed' | 'embeddings';
  model: string;
  /** The `input` as sent (embed) or the `prompt` (embeddings). */
  input: unknown;
  dimensions?: number;
  keepAliveMs?: number;
  options: Record<string, unknown>;
}

export function nativeEmbedCall(api: 'embed' | 'embeddings', body: Buffer): EmbedCall | string {
  const parsed = decodeGoJson(body);
  if (!parsed.ok) return parsed.message === 'EOF' ? 'missing request body' : parsed.message;
  const bound = bindStruct<Record<string, unknown>>(parsed.value, api === 'embed' ? EmbedRequestT : EmbeddingRequestT);
  if (!bound.ok) return bound.message;
  const r = bound.value;
  const call: EmbedCall = {
    api,
    model: (r.model as string | undefined) ?? '',
    input: api === 'embed' ? r.input : ((r.prompt as string | undefined) ?? ''),
    options: (r.options as Record<string, unknown> | undefined) ?? {},
  };
  if (r.dimensions !== undefined) call.dimensions = r.dimensions as number;
  if (r.keep_alive !== undefined) call.keepAliveMs = r.keep_alive as number;
  return call;
}

/** `/api/embed` input: a string (empty means none) or an array of strings. */
function embedInputs(input: unknown): string[] | undefined {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return input === '' ? [] : [input];
  if (Array.isArray(input) && input.every((v) => typeof v === 'string')) return input as string[];
  return undefined;
}

export async function runEmbed(env: SimEnv, call: EmbedCall, w: EmbedWriter, signal: AbortSignal, trace: Trace): Promise<Outcome> {
  const startNs = nowNs();
  trace.model = call.model;
  const fail = (status: number, message: string): Outcome => {
    w.error(status, message);
    return 'error';
  };
  const legacy = call.api === 'embeddings';
  if (call.model.trim() === '') return legacy ? fail(400, 'model is required') : fail(404, `model '${call.model}' not found`);
  if (!isValidModelName(call.model)) return fail(400, 'invalid model name');
  const inputs = legacy ? (call.input === '' ? [] : [call.input as string]) : embedInputs(call.input);
  if (!inputs) return fail(400, 'invalid input type');
  const model = env.catalog.find(call.model);
  if (!model) return fail(404, `model ${JSON.stringify(call.model)} not found, try pulling it first`);

  let lease;
  try {
    lease = await env.scheduler.acquire({ model, keepAliveMs: call.keepAliveMs, options: runnerOptions(call.options), signal });
  } catch (err) {
    if (signal.aborted) return 'aborted';
    if (err instanceof SchedulerError) return fail(err.status, err.message);
    throw err;
  }
  const loadNs = elapsedNs(startNs);
  return withLease(lease, signal, async () => {
    if (inputs.length === 0) {
      w.reply({ model: call.model, embeddings: [] });
      return 'ok';
    }
    return inSlot(lease, signal, trace, async () => {
      const tps = env.tokensPerSecond;
      await sleep(tps > 0 && Number.isFinite(tps) ? 1000 / tps : 0, signal);
      w.reply({
        model: call.model,
        embeddings: inputs.map((text) => embedVector(text, model.embeddingLength, call.dimensions)),
        total_duration: elapsedNs(startNs),
        load_duration: loadNs,
        prompt_eval_count: inputs.reduce((n, t) => n + countTokens(t), 0),
      });
      return 'ok' as const;
    });
  });
}

/** Native replies: embed vectors are Go `[]float32`, the legacy endpoint's are `[]float64`. */
export function createNativeEmbedWriter(res: ServerResponse, extra: Headers, legacy: boolean): EmbedWriter {
  return {
    error: (status, message) => sendBody(res, status, CT_JSON_UTF8, nativeErrorBody(message), extra),
    reply(r: EmbedResult) {
      if (legacy) {
        sendBody(res, 200, CT_JSON_UTF8, `{"embedding":${JSON.stringify(r.embeddings[0] ?? [])}}`, extra);
        return;
      }
      const metrics = (['total_duration', 'load_duration', 'prompt_eval_count'] as const)
        .filter((k) => r[k])
        .map((k) => `,"${k}":${r[k]}`)
        .join('');
      const vectors = r.embeddings.map(float32ArrayJson).join(',');
      sendBody(res, 200, CT_JSON_UTF8, `{"model":${goJsonStringify(r.model)},"embeddings":[${vectors}]${metrics}}`, extra);
    },
  };
}
