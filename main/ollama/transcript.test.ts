import { describe, expect, it } from 'vitest';
import { assembleSse, assembleTranscript } from './transcript.js';

const sse = (...events: unknown[]) => `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('assembleSse', () => {
  it('keeps the text and reasoning of a chat stream, and counts its tokens when Ollama sent no usage', () => {
    const t = assembleSse(
      sse(
        chunk({ role: 'assistant', content: '', reasoning: 'hm' }),
        chunk({ content: 'Hello' }),
        chunk({ content: ' there' }),
        chunk({}, 'stop'),
      ),
    );
    expect(JSON.parse(t.response!)).toEqual({ content: 'Hello there', thinking: 'hm', finish_reason: 'stop', usage: null });
    expect(t.figures).toEqual({ eval_count: 3 });
  });

  it("takes Ollama's usage when the client asked for it", () => {
    const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 };
    const t = assembleSse(
      sse(chunk({ content: 'Hi' }), chunk({ content: '!' }, 'stop'), { object: 'chat.completion.chunk', choices: [], usage }),
    );
    expect(t.figures).toEqual({ prompt_eval_count: 9, eval_count: 2 });
  });

  it('reads a /v1/responses stream: the completed response and its input/output tokens', () => {
    const response = {
      object: 'response',
      status: 'completed',
      output: [],
      usage: { input_tokens: 7, output_tokens: 4, total_tokens: 11 },
    };
    const t = assembleSse(sse({ type: 'response.output_text.delta', delta: 'Hi' }, { type: 'response.completed', response }));
    expect(JSON.parse(t.response!)).toEqual(response);
    expect(t.figures).toEqual({ prompt_eval_count: 7, eval_count: 4 });
  });

  it('keeps the deltas of a /v1/responses stream that broke off', () => {
    const t = assembleSse(
      sse({ type: 'response.reasoning_summary_text.delta', delta: 'so' }, { type: 'response.output_text.delta', delta: 'Hi' }),
    );
    expect(JSON.parse(t.response!)).toMatchObject({ content: 'Hi', thinking: 'so' });
  });
});

describe('assembleTranscript', () => {
  it("reads a non-streamed /v1/responses answer's usage", () => {
    const body = Buffer.from(JSON.stringify({ object: 'response', output: [], usage: { input_tokens: 5, output_tokens: 12 } }));
    expect(assembleTranscript({ api: 'chat', flavor: 'openai', status: 200, contentType: 'application/json', body }).figures).toEqual({
      prompt_eval_count: 5,
      eval_count: 12,
    });
  });
});
