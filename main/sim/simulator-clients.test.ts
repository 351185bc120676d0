/**
 * The real client libraries (ollama-js, openai) against the simulator: they must take it for Ollama.
 */
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, simText, type Simulator } from './simulator.js';

let sim: Simulator;
let ollama: Ollama;
let openai: OpenAI;

beforeAll(async () => {
  sim = createSimulator({ loadMs: 5, tokensPerSecond: 0, defaultTokens: 6 });
  const host = await sim.listen();
  ollama = new Ollama({ host });
  openai = new OpenAI({ baseURL: `${host}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(() => sim.close());

describe('ollama-js', () => {
  it('chats, streaming and not', async () => {
    const res = await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.message.content).toBe(simText('hi', 6));
    expect(res.done_reason).toBe('stop');
    let text = '';
    let last;
    for await (const part of await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
      text += part.message.content;
      last = part;
    }
    expect([text, last?.done, last?.eval_count]).toEqual([simText('hi', 6), true, 6]);
  });

  it('generates and embeds', async () => {
    expect((await ollama.generate({ model: 'llama3.2', prompt: 'hi' })).response).toBe(simText('hi', 6));
    const parts: string[] = [];
    for await (const p of await ollama.generate({ model: 'qwen3:0.6b', prompt: 'hi', stream: true })) parts.push(p.response ?? '');
    expect(parts.join('')).toBe(simText('hi', 6));
    const emb = await ollama.embed({ model: 'nomic-embed-text', input: ['a', 'b'] });
    expect(emb.embeddings.map((e) => e.length)).toEqual([768, 768]);
  });

  it('reports unknown models and mid-stream errors', async () => {
    await expect(ollama.chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      name: 'ResponseError',
      error: "model 'nope' not found",
      status_code: 404,
    });
    const stream = await ollama.generate({ model: 'llama3.2', prompt: '[[sim:error-after=2]]', stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const p of stream) seen.push(p.response ?? '');
      })(),
    ).rejects.toThrow('an error was encountered while running the model: simulated failure');
    expect(seen).toHaveLength(2);
  });

  it('lists, shows, pulls and sees loaded models', async () => {
    expect((await ollama.list()).models.map((m) => m.name)).toContain('gemma3:1b');
    expect((await ollama.show({ model: 'gemma3:1b' })).details.family).toBe('gemma3');
    expect(await ollama.pull({ model: 'tinyllama' })).toEqual({ status: 'success' });
    await ollama.generate({ model: 'gemma3:1b', prompt: '' });
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual(['gemma3:1b']);
  });

  it('abort() disconnects, and the simulator counts the abort', async () => {
    const before = sim.stats().aborted;
    const slow = createSimulator({ loadMs: 5, tokensPerSecond: 50, defaultTokens: 100 });
    const client = new Ollama({ host: await slow.listen() });
    try {
      const stream = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'x' }], stream: true });
      await expect(
        (async () => {
          for await (const _part of stream) stream.abort();
        })(),
      ).rejects.toThrow(/abort/i);
      await expect.poll(() => slow.stats().aborted).toBe(1);
      expect(slow.stats().inFlight).toBe(0);
    } finally {
      await slow.close();
    }
    expect(sim.stats().aborted).toBe(before);
  });
});

describe('openai', () => {
  it('chats, streaming and not', async () => {
    const res = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    expect([res.choices[0]?.message.content, res.choices[0]?.finish_reason, res.usage?.completion_tokens]).toEqual([
      simText('hi', 6),
      'stop',
      6,
    ]);
    const stream = await openai.chat.completions.create({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect([text, usage?.total_tokens]).toEqual([simText('hi', 6), (usage?.prompt_tokens ?? 0) + 6]);
  });

  it('streams reasoning from thinking models', async () => {
    const stream = await openai.chat.completions.create({ model: 'qwen3:0.6b', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let reasoning = '';
    for await (const chunk of stream) reasoning += (chunk.choices[0]?.delta as { reasoning?: string } | undefined)?.reasoning ?? '';
    expect(reasoning.length).toBeGreaterThan(0);
  });

  it('completes and embeds', async () => {
    expect((await openai.completions.create({ model: 'llama3.2', prompt: 'hi' })).choices[0]?.text).toBe(simText('hi', 6));
    const emb = await openai.embeddings.create({ model: 'nomic-embed-text', input: ['a', 'b'] });
    expect(emb.data.map((d) => d.embedding.length)).toEqual([768, 768]);
    expect((await openai.models.list()).data.map((m) => m.id)).toContain('llama3.2:latest');
  });

  it('answers the Responses API, streaming and not', async () => {
    const res = await openai.responses.create({ model: 'llama3.2', input: 'hi' });
    expect(res.output_text).toBe(simText('hi', 6));
    const types: string[] = [];
    for await (const ev of await openai.responses.create({ model: 'llama3.2', input: 'hi', stream: true })) types.push(ev.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
  });

  it('raises API errors for unknown models and a truncated stream on mid-stream errors', async () => {
    await expect(openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining("model 'nope' not found"),
    });
    const stream = await openai.chat.completions.create({
      model: 'llama3.2',
      messages: [{ role: 'user', content: '[[sim:error-after=1]]' }],
      stream: true,
    });
    const finish: Array<string | null | undefined> = [];
    for await (const chunk of stream) finish.push(chunk.choices[0]?.finish_reason);
    expect(finish).toEqual([null, null]); // one real chunk, one bogus one, no finish chunk
  });
});
