/**
 * A busy queue for layout checks and the README screenshots: a long-running `/v1/chat/completions`
 * stream, and passthrough and `/jobs` work of several routes, priorities and model-name lengths waiting
 * behind it. Requests still open when the stack closes are cut; that is expected here.
 */
import type { Stack } from '../main/test-support/harness.js';
import { expect, submitJob } from './fixtures.js';

function post(stack: Stack, path: string, body: Record<string, unknown>): void {
  fetch(`${stack.url}${path}`, { method: 'POST', body: JSON.stringify(body) })
    .then((res) => res.text())
    .catch(() => {});
}

const ask = (content: string) => [{ role: 'user', content }];

export async function busyQueue(stack: Stack): Promise<void> {
  post(stack, '/v1/chat/completions', {
    model: 'llama3.2',
    stream: true,
    messages: ask('Write a long story about a river [[sim:tokens=2000]]'),
  });
  await expect.poll(() => stack.foreman.scheduler.running).toBe(1);
  post(stack, '/v1/chat/completions', { model: 'llama3.2', stream: true, messages: ask('next [[sim:tokens=2000]]') });
  post(stack, '/api/chat', { model: 'llama3.2', messages: ask('and then [[sim:tokens=2000]]') });
  await submitJob(stack, { api: 'chat', priority: 3, request: { model: 'llama3.2', messages: ask('summarise') } });
  post(stack, '/api/generate', { model: 'gemma3:1b', prompt: 'haiku', stream: false });
  post(stack, '/v1/chat/completions', { model: 'gemma3:1b', messages: ask('translate') });
  await submitJob(stack, { api: 'generate', request: { model: 'gemma3:1b', prompt: 'later' } });
  post(stack, '/v1/embeddings', { model: 'nomic-embed-text', input: ['a', 'b'] });
  await submitJob(stack, { api: 'embed', priority: -1, request: { model: 'nomic-embed-text', input: 'index me' } });
  await expect.poll(() => stack.foreman.scheduler.waiting).toBe(8);
}
