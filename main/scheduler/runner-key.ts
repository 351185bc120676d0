/**
 * What Ollama loads for a request: a model with its runner options. Another value of any of these for a
 * loaded model makes Ollama reload it (server/sched.go `needsReload`), and Ollama keeps at most one
 * runner per model, so two variants of one model never run side by side. Sampling options do not count.
 */
import { normalizeModel } from '../ollama/model-name.js';

/** In the order they appear in a lane's name. */
export const RUNNER_OPTIONS = ['num_ctx', 'num_batch', 'num_gpu', 'main_gpu', 'use_mmap', 'num_thread'] as const;

export interface RunnerIdentity {
  /** Normalised model name (`llama3.2` → `llama3.2:latest`). */
  model: string;
  /** The lane: the model, then each runner option the client set (`llama3.2:latest · num_ctx 8192`). */
  key: string;
}

const SEP = ' · ';

/**
 * The runner a request body asks for. Options the client left out are left out of the key: Ollama fills
 * them from its own defaults, the same for every such request.
 */
export function runnerOf(model: string, options: unknown): RunnerIdentity {
  const name = normalizeModel(model);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return { model: name, key: name };
  let key = name;
  const o = options as Record<string, unknown>;
  for (const opt of RUNNER_OPTIONS) {
    const v = o[opt];
    if (typeof v === 'number' || typeof v === 'boolean') key += `${SEP}${opt} ${String(v)}`;
  }
  return { model: name, key };
}

/** The model part of a lane name. */
export function modelOfLane(lane: string): string {
  const at = lane.indexOf(SEP);
  return at < 0 ? lane : lane.slice(0, at);
}
