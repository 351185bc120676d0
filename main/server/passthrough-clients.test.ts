/**
 * Real client libraries against foreman in front of the simulator: they must not be able to tell.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startStack, type Stack } from '../test-support/harness.js';

let stack: Stack;
let ollama: Ollama;
let openai: OpenAI;

beforeAll(async () => {
  stack = await startStack();
  ollama = new Ollama({ host: stack.url });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => stack.close());

const ask = [{ role: 'user' as const, content: 'Why is the sky blue?' }];

describe('ollama-js through foreman', () => {
  it('chats without streaming and gets the same answer as straight from Ollama', async () => {
    const direct = await new Ollama({ host: stack.simUrl }).chat({ model: 'llama3.2', messages: ask });
    const via = await ollama.chat({ model: 'llama3.2', messages: ask });
    expect(via.message).toEqual(direct.message);
    expect(via.done).toBe(true);
    expect(via.eval_count).toBe(direct.eval_count);
  });

  it('streams chat token by token and ends with the figures', async () => {
    const parts: string[] = [];
    let last: { done: boolean; eval_count?: number } | undefined;
    for await (const chunk of await ollama.chat({ model: 'llama3.2', messages: ask, stream: true })) {
      parts.push(chunk.message.content);
      last = chunk;
    }
    expect(parts.length).toBeGreaterThan(2);
    expect(last?.done).toBe(true);
    expect(last?.eval_count).toBeGreaterThan(0);
  });

  it('generates, streamed and not', async () => {
    const whole = await ollama.generate({ model: 'llama3.2', prompt: 'Say something' });
    let streamed = '';
    for await (const c of await ollama.generate({ model: 'llama3.2', prompt: 'Say something', stream: true })) streamed += c.response;
    expect(streamed).toBe(whole.response);
  });

  it('embeds', async () => {
    const res = await ollama.embed({ model: 'nomic-embed-text', input: ['one', 'two'] });
    expect(res.embeddings).toHaveLength(2);
    expect(res.embeddings[0]!.length).toBeGreaterThan(0);
  });

  it("surfaces Ollama's unknown-model error unchanged", async () => {
    const err = await ollama.chat({ model: 'no-such-model', messages: ask }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 404, error: "model 'no-such-model' not found" });
  });

  it('throws the mid-stream error as Ollama sends it', async () => {
    const run = async () => {
      for await (const _ of await ollama.chat({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'x [[sim:error-after=2]]' }],
        stream: true,
      }))
        void _;
    };
    await expect(run()).rejects.toThrow('an error was encountered while running the model: simulated failure');
  });
});

describe('openai-node through foreman', () => {
  it('completes a chat, streamed and not', async () => {
    const whole = await openai.chat.completions.create({ model: 'llama3.2', messages: ask });
    expect(whole.choices[0]!.message.content).toBeTruthy();
    let text = '';
    let finish: string | null = null;
    for await (const chunk of await openai.chat.completions.create({ model: 'llama3.2', messages: ask, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe('stop');
  });

  it('runs legacy completions and embeddings', async () => {
    const c = await openai.completions.create({ model: 'llama3.2', prompt: 'Say something' });
    expect(c.choices[0]!.text).toBeTruthy();
    const e = await openai.embeddings.create({ model: 'nomic-embed-text', input: 'hello' });
    expect(e.data[0]!.embedding.length).toBeGreaterThan(0);
  });

  it('sees a mid-stream failure exactly as straight from Ollama: the stream stops with no finish reason', async () => {
    const read = async (client: OpenAI) => {
      const chunks: { choices: { delta: { content?: string | null }; finish_reason: string | null }[] }[] = [];
      for await (const c of await client.chat.completions.create({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'x [[sim:error-after=2]]' }],
        stream: true,
      }))
        chunks.push(c);
      return chunks;
    };
    const direct = await read(new OpenAI({ baseURL: `${stack.simUrl}/v1`, apiKey: 'unused', maxRetries: 0 }));
    const via = await read(openai);
    expect(via.map((c) => c.choices.map((x) => [x.delta.content, x.finish_reason]))).toEqual(
      direct.map((c) => c.choices.map((x) => [x.delta.content, x.finish_reason])),
    );
    expect(via.some((c) => c.choices.some((x) => x.finish_reason))).toBe(false);
  });

  it('gets a 404 NotFoundError for an unknown model', async () => {
    const err = await openai.chat.completions.create({ model: 'no-such-model', messages: ask }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).status).toBe(404);
  });
});

describe('what foreman keeps', () => {
  it('stores every request as a job with its transcript and figures', async () => {
    await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'remember me' }] });
    const [latest] = stack.foreman.store.listJobs({ lane: 'llama3.2:latest', limit: 1 });
    await expect.poll(() => stack.foreman.store.getJob(latest!.id)?.state).toBe('succeeded');
    const job = stack.foreman.store.getJob(latest!.id)!;
    expect(JSON.parse(job.request).messages[0].content).toBe('remember me');
    expect(JSON.parse(job.response!).message.content).toBeTruthy();
    expect(job.eval_count).toBeGreaterThan(0);
    expect(job.client).toContain('ollama-js');
  });
});
