/**
 * The README's screenshots, in a busy state at 1440 px: lanes with measured figures and work waiting
 * behind a live stream, a timeline of drain-by-model switches, a finished `/v1` transcript, and the
 * delivery log with a failing receiver. They land in test-results/screenshots/readme-*.png; to retake
 * docs/screenshots/, run this spec, look at them, and copy them over (queue, timeline, transcript-done,
 * deliveries).
 */
import { test, expect, shot, submitJob } from './fixtures.js';
import { busyQueue } from './busy.js';
import { startReceiver } from '../main/test-support/webhook-receiver.js';

test.describe('README screenshots', () => {
  test.use({ stackOptions: { sim: { maxLoaded: 1, loadMs: 400, tokensPerSecond: 40 }, foreman: { webhookRetriesMs: [10 * 60_000] } } });

  test('a busy window at 1440 px', async ({ page, stack }) => {
    test.setTimeout(60_000);
    const failing = await startReceiver(() => 500);
    const ok = await startReceiver(() => 204);
    try {
      await page.setViewportSize({ width: 1440, height: 900 });
      // Earlier work, interleaved across models: the timeline shows the switches foreman saved, and the
      // lanes learn their load times and speeds.
      await fetch(`${stack.url}/foreman/pause`, { method: 'POST' });
      const models = ['llama3.2', 'gemma3:1b', 'nomic-embed-text', 'llama3.2', 'gemma3:1b', 'llama3.2'];
      const post = (path: string, body: unknown) => fetch(`${stack.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      const answers = models.map((model, i) => {
        if (model === 'nomic-embed-text') return post('/api/embed', { model, input: ['index me'] });
        const messages = [{ role: 'user', content: `Tell me about rivers, part ${i + 1} [[sim:tokens=30]]` }];
        // One through the OpenAI-compatible route, for the transcript shot.
        return post(i === 3 ? '/v1/chat/completions' : '/api/chat', { model, stream: true, messages });
      });
      await expect.poll(() => stack.foreman.scheduler.waiting).toBe(models.length);
      const hooked = await submitJob(stack, {
        api: 'generate',
        request: { model: 'gemma3:1b', prompt: 'A haiku about queues' },
        webhook: { url: ok.url },
      });
      const failed = await submitJob(stack, {
        api: 'chat',
        request: { model: 'llama3.2', messages: [{ role: 'user', content: 'Summarise' }] },
        webhook: { url: failing.url },
      });
      await fetch(`${stack.url}/foreman/resume`, { method: 'POST' });
      await Promise.all(answers.map(async (a) => (await a).text()));
      const state = async (id: string) => ((await (await fetch(`${stack.url}/jobs/${id}`)).json()) as { state: string }).state;
      await expect.poll(() => Promise.all([state(hooked), state(failed)]), { timeout: 20_000 }).toEqual(['succeeded', 'succeeded']);

      await busyQueue(stack);
      await expect(page.locator('li.job.running .stream-tail')).toBeVisible();
      await expect(page.locator('.lane-figures dd', { hasText: 'tok/s' }).first()).toBeVisible();
      await page.waitForTimeout(2500); // ages and the streamed text grow
      await page.setViewportSize({ width: 1440, height: 620 });
      await shot(page, 'readme-queue');

      await page.goto(`${stack.url}/ui/#/timeline`);
      await expect(page.getByTestId('counter-avoided')).not.toHaveText('0');
      await page.setViewportSize({ width: 1440, height: 500 });
      await shot(page, 'readme-timeline');

      const { jobs } = (await (await fetch(`${stack.url}/foreman/jobs?state=succeeded&limit=100`)).json()) as {
        jobs: { id: string; route: string }[];
      };
      const v1 = jobs.find((j) => j.route === '/v1/chat/completions')!;
      await page.goto(`${stack.url}/ui/#/jobs/${v1.id}`);
      await expect(page.getByTestId('transcript-response')).not.toBeEmpty();
      await shot(page, 'readme-transcript-done');

      const waiting = stack.foreman.store.deliveries.list({ jobId: failed }).find((d) => d.type === 'job.working')!;
      await page.goto(`${stack.url}/ui/#/deliveries/${waiting.id}`);
      await expect(page.getByTestId(`delivery-${waiting.id}`)).toContainText('waiting');
      await page.setViewportSize({ width: 1440, height: 820 });
      await shot(page, 'readme-deliveries');
    } finally {
      await failing.close();
      await ok.close();
    }
  });
});
