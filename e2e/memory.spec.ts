/**
 * The memory strip: the GPU budget and who holds how much of it, as a person at the desk sees it while
 * two models that fit together run side by side, and lanes named by runner (model and num_ctx).
 */
import { test, expect, shot } from './fixtures.js';

const GB = 1e9;

test.use({
  stackOptions: {
    sim: {
      vramMb: 8000,
      maxLoaded: 3,
      loadMs: 30,
      tokensPerSecond: 20,
      models: [
        { name: 'alpha', sizeBytes: 2 * GB },
        { name: 'beta', sizeBytes: 3 * GB },
      ],
    },
  },
});

function post(url: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ stream: false, ...body }) });
}

test('shows the GPU budget learned from Ollama and each resident runner with its share', async ({ page, stack }) => {
  const strip = page.getByTestId('memory-strip');
  await expect(strip).toContainText('GPU budget not known yet');
  for (const model of ['alpha', 'beta']) expect((await post(stack.url, { model, messages: [] })).status).toBe(200);
  await expect(strip).toContainText('GPU budget ≥', { timeout: 10_000 });
  await expect(strip.locator('[data-lane="alpha:latest"]')).toContainText('GB');
  await expect(strip.locator('[data-lane="beta:latest"]')).toContainText('GB');
  // Two answers at once, one per model: both segments show work, side by side.
  const answers = ['alpha', 'beta'].map((model) =>
    post(stack.url, { model, messages: [{ role: 'user', content: 'hi [[sim:tokens=40]]' }] }),
  );
  await expect(strip.locator('.memory-runner.busy')).toHaveCount(2);
  await shot(page, 'memory-strip');
  await Promise.all(answers);
  await expect(strip.locator('.memory-runner.busy')).toHaveCount(0);
});

test('names a lane by its runner: requests with another num_ctx wait in their own lane', async ({ page, stack }) => {
  stack.foreman.scheduler.pause();
  const answers = [2048, 8192].map((num_ctx) =>
    post(stack.url, { model: 'alpha', messages: [{ role: 'user', content: 'x' }], options: { num_ctx } }),
  );
  await expect(page.getByText('alpha:latest · num_ctx 8192')).toBeVisible();
  await expect(page.getByText('alpha:latest · num_ctx 2048')).toBeVisible();
  stack.foreman.scheduler.resume();
  await Promise.all(answers);
});
