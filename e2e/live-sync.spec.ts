/**
 * The window's live sync: a lane that appears after the page loaded shows the figures the server
 * has for it (load time, speed, and so the ETA) at once, not after the next routine refresh.
 */
import { test, expect, chat, submitJob } from './fixtures.js';

test.describe('live sync', () => {
  test.use({ stackOptions: { sim: { maxLoaded: 1, loadMs: 300, tokensPerSecond: 100 } } });

  test('a lane that appears after the page loaded shows LOAD, SPEED and ETA at once', async ({ page, stack }) => {
    // gemma3:1b runs once (the server learns its load time and speed), then makes room for llama3.2.
    await (await chat(stack, 'gemma3:1b', 'first [[sim:tokens=20]]')).text();
    await (await chat(stack, 'llama3.2', 'second [[sim:tokens=5]]')).text();
    const lanes = async () =>
      ((await (await fetch(`${stack.url}/foreman/queue`)).json()) as { lanes: { model: string }[] }).lanes.map((l) => l.model);
    await expect.poll(lanes, { timeout: 15_000 }).not.toContain('gemma3:1b');

    await page.goto(`${stack.url}/ui/`);
    await page.getByRole('button', { name: 'Pause queue' }).click();
    await expect(page.getByTestId('paused-banner')).toBeVisible();
    await expect(page.getByTestId('lane-gemma3:1b')).toHaveCount(0);
    const id = await submitJob(stack, { api: 'generate', request: { model: 'gemma3:1b', prompt: 'later' } });
    const lane = page.getByTestId('lane-gemma3:1b');
    await expect(lane.getByTestId(`job-${id}`)).toBeVisible();
    const figure = (name: string) => lane.locator('.lane-figures > div', { hasText: name }).locator('dd');
    // Nothing finishes while paused, so no routine refresh comes: only the sync's own fetch for the new lane.
    for (const name of ['Load', 'Speed', 'ETA']) await expect(figure(name), name).not.toHaveText('—', { timeout: 1500 });
    await expect(figure('Load')).toHaveText(/\d+ ms|\d\.\d s/);
    await expect(figure('Speed')).toHaveText(/tok\/s/);
  });
});
