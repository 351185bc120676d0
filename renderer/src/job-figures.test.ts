import { describe, expect, it } from 'vitest';
import type { JobRow } from '../../shared/api.js';
import { jobSpeed, jobTokens } from './job-figures.js';

const row = (over: Partial<JobRow>): JobRow => ({
  id: 'job_1',
  source: 'passthrough',
  route: '/api/chat',
  api: 'chat',
  model: 'm',
  lane: 'm:latest',
  state: 'succeeded',
  priority: 0,
  stream: true,
  client: null,
  created_at: 0,
  started_at: 1000,
  finished_at: 3000,
  status_code: 200,
  error: null,
  ...over,
});

describe('jobSpeed', () => {
  it("uses Ollama's eval timing when the answer has it", () => {
    expect(jobSpeed(row({ eval_count: 50, eval_duration: 1e9 }))).toMatchObject({ tokensPerS: 50, approx: false });
  });

  it('measures /v1 answers, which carry only token counts, over the run time', () => {
    expect(jobSpeed(row({ route: '/v1/chat/completions', eval_count: 40 }))).toMatchObject({ tokensPerS: 20, approx: true });
    expect(jobSpeed(row({ route: '/v1/chat/completions', eval_count: 40 }))!.why).toContain('/v1/chat/completions');
  });

  it('counts the input of embeddings', () => {
    const embed = row({ route: '/api/embed', api: 'embed', prompt_eval_count: 8, total_duration: 0.5e9 });
    expect(jobTokens(embed)).toBe(8);
    expect(jobSpeed(embed)).toMatchObject({ tokensPerS: 16, approx: false });
    expect(jobSpeed(row({ route: '/v1/embeddings', api: 'embed', prompt_eval_count: 8 }))).toMatchObject({ tokensPerS: 4, approx: true });
  });

  it('has no speed without tokens or a run time', () => {
    expect(jobSpeed(row({}))).toBeNull();
    expect(jobSpeed(row({ eval_count: 3, started_at: null }))).toBeNull();
  });
});
