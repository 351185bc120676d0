/**
 * The window driven in Debian's Chromium against the real headless core and the simulator: what the
 * person at the desk sees must follow what clients do over HTTP.
 */
import { test, expect, shot, chat, submitJob } from './fixtures.js';
import { startReceiver } from '../main/test-support/webhook-receiver.js';

test.describe('queue', () => {
  test.use({ stackOptions: { sim: { maxLoaded: 1, loadMs: 300, tokensPerSecond: 20 } } });

  test('jobs appear in their model lanes and move as they run', async ({ page, stack }) => {
    const first = chat(stack, 'llama3.2', 'first [[sim:tokens=30]]', true);
    await expect(page.getByTestId('lane-llama3.2:latest')).toBeVisible();
    await expect.poll(() => stack.foreman.scheduler.running).toBe(1);
    const queuedId = await submitJob(stack, { api: 'generate', request: { model: 'gemma3:1b', prompt: 'later [[sim:tokens=2]]' } });
    const lane = page.getByTestId('lane-gemma3:1b');
    await expect(lane).toBeVisible();
    await expect(lane.getByTestId(`job-${queuedId}`)).toBeVisible();
    await shot(page, 'queue');
    // The window follows the OS colour scheme.
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(dark).not.toBe(light);
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'queue-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await (await first).text();
    // Once llama3.2 is done, the gemma3 job runs and leaves the queue.
    await expect(lane.getByTestId(`job-${queuedId}`)).toHaveCount(0, { timeout: 15_000 });
  });

  test('pause holds work and resume releases it; cancel drops a queued job', async ({ page, stack }) => {
    await page.getByRole('button', { name: 'Pause queue' }).click();
    await expect.poll(async () => ((await (await fetch(`${stack.url}/foreman/queue`)).json()) as { paused: boolean }).paused).toBe(true);
    const keep = await submitJob(stack, { api: 'generate', request: { model: 'llama3.2', prompt: 'keep' } });
    const drop = await submitJob(stack, { api: 'generate', request: { model: 'llama3.2', prompt: 'drop' } });
    await expect(page.getByTestId(`job-${drop}`)).toBeVisible();
    await page.getByRole('button', { name: `Cancel ${drop}` }).click();
    await expect(page.getByTestId(`job-${drop}`)).toHaveCount(0);
    await expect.poll(async () => ((await (await fetch(`${stack.url}/jobs/${drop}`)).json()) as { state: string }).state).toBe('canceled');
    expect(stack.sim.stats().requests).toBe(0);
    await shot(page, 'paused');
    await page.getByRole('button', { name: 'Resume queue' }).click();
    await expect
      .poll(async () => ((await (await fetch(`${stack.url}/jobs/${keep}`)).json()) as { state: string }).state, { timeout: 15_000 })
      .toBe('succeeded');
  });
});

test.describe('transcript', () => {
  test.use({ stackOptions: { sim: { loadMs: 10, tokensPerSecond: 15 } } });

  test('tokens appear live, then the final figures', async ({ page, stack }) => {
    const res = chat(stack, 'llama3.2', 'stream to me [[sim:tokens=40]]', true);
    await expect.poll(() => stack.foreman.board.rows().length).toBe(1);
    const [row] = stack.foreman.board.rows();
    await page.goto(`${stack.url}/ui/#/jobs/${row!.id}`);
    const text = page.getByTestId('transcript-response');
    await expect(text).not.toBeEmpty();
    const early = (await text.textContent())!.length;
    await expect.poll(async () => (await text.textContent())!.length).toBeGreaterThan(early);
    await shot(page, 'transcript-live');
    await (await res).text();
    await expect(page.getByText(/tokens\/s/i).first()).toBeVisible();
    await shot(page, 'transcript-done');
  });
});

test.describe('deliveries', () => {
  test.use({ stackOptions: { foreman: { webhookRetriesMs: [200, 200] } } });

  test('a failing receiver shows its retries, and redeliver sends again', async ({ page, stack }) => {
    const hook = await startReceiver();
    hook.respond = () => 500;
    try {
      const id = await submitJob(stack, { api: 'generate', request: { model: 'llama3.2', prompt: 'hook me' }, webhook: { url: hook.url } });
      // Each of the job's events fails three times; the first one to give up is job.queued.
      const queuedEvent = () => stack.foreman.store.deliveries.list({ jobId: id, state: 'exhausted' }).find((d) => d.type === 'job.queued');
      await expect.poll(queuedEvent, { timeout: 15_000 }).toBeTruthy();
      await page.goto(`${stack.url}/ui/#/deliveries`);
      const exhausted = queuedEvent();
      const row = page.getByTestId(`delivery-${exhausted!.id}`);
      await expect(row).toBeVisible();
      await row.click();
      await expect(page.getByText('500').first()).toBeVisible();
      await shot(page, 'deliveries-failing');
      const before = hook.forJob(id).length;
      hook.respond = () => 200;
      await page.getByRole('button', { name: 'Redeliver' }).click();
      await expect.poll(() => hook.forJob(id).length).toBeGreaterThan(before);
      await expect.poll(() => stack.foreman.store.deliveries.get(exhausted!.id)?.state).toBe('delivered');
      await shot(page, 'deliveries-redelivered');
    } finally {
      await hook.close();
    }
  });
});

test.describe('timeline', () => {
  test.use({ stackOptions: { sim: { maxLoaded: 1, loadMs: 150, tokensPerSecond: 200 } } });

  test('shows a load for each model switch and the loads avoided', async ({ page, stack }) => {
    await fetch(`${stack.url}/foreman/pause`, { method: 'POST' });
    const models = ['llama3.2', 'gemma3:1b', 'mistral', 'llama3.2', 'gemma3:1b', 'mistral'];
    const answers: Promise<Response>[] = [];
    for (const [i, m] of models.entries()) {
      answers.push(chat(stack, m, `t${i} [[sim:tokens=3]]`));
      await expect.poll(() => stack.foreman.scheduler.waiting).toBe(i + 1);
    }
    await fetch(`${stack.url}/foreman/resume`, { method: 'POST' });
    await Promise.all(answers.map(async (a) => (await a).text()));
    await page.goto(`${stack.url}/ui/#/timeline`);
    for (const m of ['llama3.2:latest', 'gemma3:1b', 'mistral:latest'])
      await expect(page.getByTestId(`segment-${m}`).first()).toBeVisible();
    await expect(page.getByTestId('counter-loads')).toContainText('3');
    await expect(page.getByTestId('counter-avoided')).toContainText('3');
    await shot(page, 'timeline');
  });
});

test.describe('restart', () => {
  test('the window reconnects and resyncs after the server restarts', async ({ page, stack }) => {
    const status = page.getByRole('status').filter({ hasText: /live|connect/ });
    await expect(status).toHaveAttribute('data-state', 'live');
    const port = Number(new URL(stack.url).port);
    await stack.foreman.close(500);
    await expect(status).not.toHaveAttribute('data-state', 'live');
    const { startForeman } = await import('../main/app/foreman.js');
    const { testConfig } = await import('../main/test-support/test-config.js');
    const again = await startForeman(testConfig(stack.simUrl, { listenPort: port }, stack.dataDir));
    try {
      await fetch(`${again.url}/foreman/pause`, { method: 'POST' });
      const id = await submitJob({ ...stack, url: again.url } as typeof stack, {
        api: 'generate',
        request: { model: 'llama3.2', prompt: 'after restart' },
      });
      await expect(page.getByTestId(`job-${id}`)).toBeVisible({ timeout: 15_000 });
      await expect(status).toHaveAttribute('data-state', 'live');
      await shot(page, 'after-restart');
    } finally {
      await again.close(500);
    }
  });
});
