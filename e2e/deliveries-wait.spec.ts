/**
 * Deliveries waiting behind a failed one of the same job say what they wait for, and move on by
 * themselves once it is through.
 */
import { test, expect, shot, submitJob } from './fixtures.js';
import { startReceiver } from '../main/test-support/webhook-receiver.js';

test.describe('deliveries in order', () => {
  test.use({ stackOptions: { foreman: { webhookRetriesMs: [60_000] } } });

  test('a delivery behind a failing one says "after job.queued, retry at …"', async ({ page, stack }) => {
    const hook = await startReceiver();
    hook.respond = () => 500;
    try {
      const id = await submitJob(stack, { api: 'generate', request: { model: 'llama3.2', prompt: 'hook me' }, webhook: { url: hook.url } });
      const of = (type: string) => stack.foreman.store.deliveries.list({ jobId: id }).find((d) => d.type === type);
      await expect.poll(() => of('job.queued')?.attempts).toBe(1);
      await expect.poll(() => of('job.succeeded')).toBeTruthy();
      await page.goto(`${stack.url}/ui/#/deliveries`);
      const queued = page.getByTestId(`delivery-${of('job.queued')!.id}`);
      await expect(queued).toContainText('pending');
      for (const type of ['job.working', 'job.succeeded']) {
        const row = page.getByTestId(`delivery-${of(type)!.id}`);
        await expect(row).toContainText('waiting');
        await expect(row).toContainText(/after job\.queued, retry at \d\d?:\d\d:\d\d/);
      }
      await page.getByTestId(`delivery-${of('job.working')!.id}`).click();
      await expect(page.locator('.detail')).toContainText(/Waits for\s*job\.queued of the same job/);
      await shot(page, 'deliveries-waiting');

      // The first one goes through: the rest follow, and the list says so without a reload.
      hook.respond = () => 204;
      await page.goto(`${stack.url}/ui/#/deliveries/${of('job.queued')!.id}`);
      await page.getByRole('button', { name: 'Redeliver' }).click();
      for (const type of ['job.queued', 'job.working', 'job.succeeded']) {
        await expect(page.getByTestId(`delivery-${of(type)!.id}`)).toContainText('delivered');
      }
      await expect(page.getByText('waiting')).toHaveCount(0);
    } finally {
      await hook.close();
    }
  });
});
