/**
 * Every inference route's finished transcript shows the answer the client got, and its figures in the
 * transcript and in History, whether the answer was streamed (NDJSON or SSE) or not.
 */
import { test, expect } from './fixtures.js';

type Obj = Record<string, any>;

/** The text a client read from the body, whatever the route's shape. */
function answerText(body: string): string {
  const pieces: string[] = [];
  const take = (o: Obj) => {
    const c = o.choices?.[0];
    const text: unknown = o.message?.content ?? o.response ?? c?.delta?.content ?? c?.message?.content ?? c?.text;
    if (typeof text === 'string') pieces.push(text);
    if (o.type === 'response.output_text.delta') pieces.push(o.delta);
    if (o.object === 'response') for (const item of o.output ?? []) for (const part of item.content ?? []) pieces.push(part.text ?? '');
  };
  const trimmed = body.trim();
  if (trimmed.startsWith('{') && !trimmed.includes('\n')) take(JSON.parse(trimmed) as Obj);
  else {
    for (const line of body.split('\n')) {
      const json = line.startsWith('data: {') ? line.slice(6) : line.startsWith('{') ? line : null;
      if (json) take(JSON.parse(json) as Obj);
    }
  }
  return pieces.join('');
}

const chat = { model: 'llama3.2', messages: [{ role: 'user', content: 'tell me [[sim:tokens=12]]' }] };
const ROUTES: { name: string; path: string; body: Obj; embedding?: boolean; figures?: boolean }[] = [
  { name: 'native chat, streamed', path: '/api/chat', body: { ...chat, stream: true } },
  { name: 'native generate', path: '/api/generate', body: { model: 'llama3.2', prompt: 'tell me [[sim:tokens=12]]', stream: false } },
  { name: 'chat completions', path: '/v1/chat/completions', body: chat },
  { name: 'chat completions, streamed', path: '/v1/chat/completions', body: { ...chat, stream: true } },
  {
    name: 'chat completions, streamed with usage',
    path: '/v1/chat/completions',
    body: { ...chat, stream: true, stream_options: { include_usage: true } },
  },
  {
    name: 'completions, streamed',
    path: '/v1/completions',
    body: { model: 'llama3.2', prompt: 'tell me [[sim:tokens=12]]', stream: true },
  },
  { name: 'responses', path: '/v1/responses', body: { model: 'llama3.2', input: 'tell me [[sim:tokens=12]]' } },
  { name: 'responses, streamed', path: '/v1/responses', body: { model: 'llama3.2', input: 'tell me [[sim:tokens=12]]', stream: true } },
  { name: 'native embed', path: '/api/embed', body: { model: 'nomic-embed-text', input: ['a', 'b'] }, embedding: true },
  { name: 'OpenAI embeddings', path: '/v1/embeddings', body: { model: 'nomic-embed-text', input: ['a', 'b'] }, embedding: true },
  // The legacy route's answer is the vector alone: Ollama reports no figures for it.
  { name: 'legacy embeddings', path: '/api/embeddings', body: { model: 'nomic-embed-text', prompt: 'a' }, embedding: true, figures: false },
];

test.describe('finished transcripts', () => {
  test.use({ stackOptions: { sim: { loadMs: 10, tokensPerSecond: 200 } } });

  for (const route of ROUTES) {
    test(`${route.name} (${route.path}) shows its answer and figures`, async ({ page, stack }) => {
      const res = await fetch(`${stack.url}${route.path}`, { method: 'POST', body: JSON.stringify(route.body) });
      expect(res.status).toBe(200);
      const body = await res.text();
      const list = async () =>
        ((await (await fetch(`${stack.url}/foreman/jobs?limit=1`)).json()) as { jobs: { id: string; state: string }[] }).jobs[0];
      await expect.poll(async () => (await list())?.state).toBe('succeeded');
      const id = (await list())!.id;

      await page.goto(`${stack.url}/ui/#/jobs/${id}`);
      const figure = (name: string) => page.getByLabel('Final figures').locator('div', { hasText: name }).locator('dd');
      if (route.embedding) {
        await expect(page.getByTestId('transcript-note')).toHaveText(/^\d+ embeddings? of \d+ dimensions$/);
        if (route.figures !== false) await expect(figure('Prompt tokens')).not.toHaveText('—');
      } else {
        const text = answerText(body);
        expect(text.split(' ').length).toBe(12);
        await expect(page.getByTestId('transcript-response')).toHaveText(text);
        await expect(page.getByTestId('transcript-note')).toHaveCount(0);
        await expect(figure('Eval tokens')).toHaveText('12');
        await expect(figure('Tokens/s')).toHaveText(/tok\/s/);
      }

      await page.goto(`${stack.url}/ui/#/history`);
      const cells = page.getByTestId(`history-${id}`).getByRole('cell');
      await expect(cells.nth(1)).toHaveText(id);
      if (route.figures !== false) {
        await expect(cells.nth(6)).not.toHaveText('—');
        await expect(cells.nth(7)).toHaveText(/tok\/s/);
      }
    });
  }
});
