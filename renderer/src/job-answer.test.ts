import { describe, expect, it } from 'vitest';
import { requestMessages, responseAnswer } from './job-answer.js';

describe('responseAnswer', () => {
  it("reads Ollama's native chat and generate answers", () => {
    expect(responseAnswer({ message: { role: 'assistant', content: 'Hi', thinking: 'hm' }, done: true })).toEqual({
      content: 'Hi',
      thinking: 'hm',
      note: null,
    });
    expect(responseAnswer({ response: 'Hi', done: true })).toEqual({ content: 'Hi', thinking: '', note: null });
  });

  it('reads OpenAI chat and text completions, and the summary foreman keeps of a /v1 stream', () => {
    expect(responseAnswer({ object: 'chat.completion', choices: [{ message: { content: 'Hi', reasoning: 'so' } }] })).toEqual({
      content: 'Hi',
      thinking: 'so',
      note: null,
    });
    expect(responseAnswer({ object: 'text_completion', choices: [{ text: 'Hi' }] })?.content).toBe('Hi');
    expect(responseAnswer({ content: 'Hi there', finish_reason: 'stop', usage: null })).toEqual({
      content: 'Hi there',
      thinking: '',
      note: null,
    });
    expect(responseAnswer({ content: 'Hi', thinking: 'hm', finish_reason: 'stop', usage: { prompt_tokens: 1 } })?.thinking).toBe('hm');
  });

  it('reads a Responses API answer: message text, reasoning summary, tool calls', () => {
    const response = {
      object: 'response',
      output: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'think' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello' }] },
        { type: 'function_call', name: 'get_weather', arguments: '{}' },
      ],
    };
    expect(responseAnswer(response)).toEqual({ content: 'Hello', thinking: 'think', note: 'Called get_weather' });
  });

  it('summarises embeddings of every route', () => {
    expect(
      responseAnswer({
        embeddings: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      })?.note,
    ).toBe('2 embeddings of 3 dimensions');
    expect(responseAnswer({ embedding: [1, 2] })?.note).toBe('1 embedding of 2 dimensions');
    expect(responseAnswer({ object: 'list', data: [{ object: 'embedding', embedding: [1, 2, 3, 4] }] })?.note).toBe(
      '1 embedding of 4 dimensions',
    );
    // base64: 16 bytes = 4 float32s
    expect(responseAnswer({ object: 'list', data: [{ embedding: btoa('\0'.repeat(16)) }] })?.note).toBe('1 embedding of 4 dimensions');
  });

  it('notes tool calls of a chat answer without text', () => {
    expect(responseAnswer({ message: { content: '', tool_calls: [{ function: { name: 'f', arguments: {} } }] } })?.note).toBe('Called f');
  });
});

describe('requestMessages', () => {
  it('reads a Responses request: instructions and role items', () => {
    expect(
      requestMessages({ instructions: 'be brief', input: [{ role: 'user', content: 'hi' }] })?.map((m) => [m.role, m.content]),
    ).toEqual([
      ['system', 'be brief'],
      ['user', 'hi'],
    ]);
    expect(requestMessages({ input: 'hello' })?.map((m) => [m.role, m.content])).toEqual([['input', 'hello']]);
  });
});
