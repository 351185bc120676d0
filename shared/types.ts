/** Types shared by the core (main/) and the window (renderer/). No runtime imports here. */

export type JobState = 'queued' | 'working' | 'succeeded' | 'failed' | 'canceled';
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'canceled'];

/** Where a job came from: a client using Ollama's own API, or the async `/jobs` surface. */
export type JobSource = 'passthrough' | 'jobs';

export type JobApi = 'chat' | 'generate' | 'embed' | 'embeddings';

/** Figures Ollama reports on the final chunk (nanoseconds and token counts). */
export interface JobFigures {
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** The figure fields, in the order Ollama writes them on the final chunk. */
export const FIGURE_KEYS = [
  'total_duration',
  'load_duration',
  'prompt_eval_count',
  'prompt_eval_duration',
  'eval_count',
  'eval_duration',
] as const;

/** The figures present (as numbers) on an object, and nothing else. */
export function pickFigures(o: Partial<Record<(typeof FIGURE_KEYS)[number], unknown>>): JobFigures {
  const f: JobFigures = {};
  for (const k of FIGURE_KEYS) if (typeof o[k] === 'number') f[k] = o[k] as number;
  return f;
}

export interface JobSummary extends JobFigures {
  id: string;
  source: JobSource;
  route: string;
  api: JobApi;
  /** The model name as the client sent it. */
  model: string;
  /** The normalised name (`llama3.2` → `llama3.2:latest`): the lane the job waits in. */
  lane: string;
  state: JobState;
  priority: number;
  stream: boolean;
  client: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  status_code: number | null;
  error: string | null;
  /** The Ollama host that ran it (`host:port`), once it started; absent on rows from before hosts. */
  host?: string | null;
}
