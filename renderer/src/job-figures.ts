/**
 * A finished job's token count and speed, for every route. Ollama's native answers carry durations;
 * its `/v1` answers carry token counts only, so their speed is measured over the job's run time.
 */
import type { JobRow } from '../../shared/api.js';

export interface Speed {
  tokensPerS: number;
  /** Measured over the run time (which includes any model load), not Ollama's own timing. */
  approx: boolean;
  why: string;
}

const isEmbedding = (job: Pick<JobRow, 'api'>) => job.api === 'embed' || job.api === 'embeddings';

/** The tokens a job is about: those it generated, or for embeddings those it read. */
export function jobTokens(job: JobRow): number | undefined {
  return isEmbedding(job) ? job.prompt_eval_count : job.eval_count;
}

export function jobSpeed(job: JobRow): Speed | null {
  const tokens = jobTokens(job);
  if (!tokens) return null;
  const ns = isEmbedding(job) ? job.total_duration : job.eval_duration;
  if (ns)
    return {
      tokensPerS: (tokens / ns) * 1e9,
      approx: false,
      why: isEmbedding(job) ? "Input tokens over Ollama's total time" : "Eval tokens over Ollama's eval time",
    };
  if (job.started_at === null || job.finished_at === null || job.finished_at <= job.started_at) return null;
  return {
    tokensPerS: tokens / ((job.finished_at - job.started_at) / 1000),
    approx: true,
    why: `Ollama reports no timings on ${job.route}: ${isEmbedding(job) ? 'input' : 'eval'} tokens over the job's run time, which includes any model load`,
  };
}
