/**
 * What a runner is and what it costs, after Ollama's `api.Runner` options and its memory estimate
 * (simplified): a runner is one model loaded with one set of runner options, and its footprint is the
 * weights plus a KV cache of `num_ctx` tokens for each parallel slot.
 */
import { toSimModel, type SimModel, type SimModelSpec } from './sim-models.js';

/** `api.Runner`: the options fixed when a model is loaded. Any other option (temperature, seed…) is per request. */
export interface RunnerOptions {
  numCtx: number;
  numBatch: number;
  numGpu: number;
  mainGpu: number;
  /** `*bool` in Go: `null` when the request did not say. */
  useMmap: boolean | null;
  numThread: number;
}

/** `api.DefaultOptions()` for the runner fields, with the simulator's default context of 4096. */
export const DEFAULT_RUNNER_OPTIONS: Readonly<RunnerOptions> = {
  numCtx: 4096,
  numBatch: 512,
  numGpu: -1,
  mainGpu: 0,
  useMmap: null,
  numThread: 0,
};

/** The integer runner options as they are spelled in a request's `options` map. */
export const RUNNER_INT_OPTIONS = {
  num_ctx: 'numCtx',
  num_batch: 'numBatch',
  num_gpu: 'numGpu',
  main_gpu: 'mainGpu',
  num_thread: 'numThread',
} as const;

/** Ollama's smallest context (`GetRunner` raises anything below it). */
const MIN_NUM_CTX = 4;

/** The runner options a request's `options` map asks for, over the defaults, as `Options.FromMap` reads them. */
export function runnerOptions(options: Record<string, unknown> = {}): RunnerOptions {
  const out: RunnerOptions = { ...DEFAULT_RUNNER_OPTIONS };
  for (const [key, field] of Object.entries(RUNNER_INT_OPTIONS)) {
    const v = options[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[field] = Math.trunc(v);
  }
  if (typeof options.use_mmap === 'boolean') out.useMmap = options.use_mmap;
  out.numCtx = Math.max(MIN_NUM_CTX, out.numCtx);
  return out;
}

/** `runnerRef.needsReload` on the options alone: any difference reloads, except that a request's negative num_gpu matches any. */
export function optionsNeedReload(loaded: RunnerOptions, wanted: RunnerOptions): boolean {
  const have = wanted.numGpu < 0 ? { ...loaded, numGpu: wanted.numGpu } : loaded;
  return (Object.keys(wanted) as Array<keyof RunnerOptions>).some((k) => have[k] !== wanted[k]);
}

/** Parallel slots of a runner, like OLLAMA_NUM_PARALLEL: embedding models always get one. */
export function slotsOf(model: SimModel, parallel: number): number {
  return model.kind === 'embedding' ? 1 : Math.max(1, Math.trunc(parallel));
}

/**
 * The context a runner really gets (its `/api/ps` `context_length`): the server caps `num_ctx` at the
 * model's trained context ("requested context size too large for model"). Reload decisions still
 * compare the `num_ctx` asked for.
 */
export function contextOf(model: SimModel, numCtx: number): number {
  return Math.min(Math.max(MIN_NUM_CTX, Math.trunc(numCtx)), model.contextLength);
}

export function footprintOf(model: SimModel, numCtx: number, parallel: number): number {
  return model.sizeBytes + contextOf(model, numCtx) * slotsOf(model, parallel) * model.kvBytesPerToken;
}

/**
 * The bytes a runner of `model` takes (its `/api/ps` `size`): the weights plus `context × slots ×
 * kvBytesPerToken`, where the context is `num_ctx` capped at the model's trained context (131072 for
 * chat models, 2048 for embedding models). `model` is a name or spec as given to the simulator's
 * `models` option.
 */
export function simFootprint(model: string | SimModelSpec, options: Partial<RunnerOptions> = {}, parallel = 1): number {
  return footprintOf(toSimModel(model, 0n), options.numCtx ?? DEFAULT_RUNNER_OPTIONS.numCtx, parallel);
}
