/**
 * Several Ollama hosts in the window: a row per host above the lanes (state, work, memory strip), the
 * host named on running jobs, transcripts and history, and a timeline band per host and model. Two real
 * simulators behind one foreman; one goes down (closed) and comes back (started again on its port).
 */
import type { QueueSnapshot } from '../shared/api.js';
import { createSimulator, type SimulatorOptions } from '../main/sim/simulator.js';
import type { Stack } from '../main/test-support/harness.js';
import { test, expect, chat, shot } from './fixtures.js';

const SIM: SimulatorOptions = { loadMs: 30, tokensPerSecond: 20 };

async function hostIds(stack: Stack): Promise<string[]> {
  return ((await (await fetch(`${stack.url}/foreman/queue`)).json()) as QueueSnapshot).hosts.map((h) => h.id);
}

/** What sticks out of a host row or lane card (text cut with an ellipsis on purpose is fine). Runs in the page. */
function sticksOut(): string[] {
  const out: string[] = [];
  for (const box of document.querySelectorAll('li.host, section.lane')) {
    const outer = box.getBoundingClientRect();
    for (const el of box.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const inside =
        r.left >= outer.left - 0.5 && r.right <= outer.right + 0.5 && r.top >= outer.top - 0.5 && r.bottom <= outer.bottom + 0.5;
      if (!inside)
        out.push(`${box.getAttribute('data-testid')} ${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').slice(0, 30)}"`);
    }
  }
  return out;
}

test.describe('several hosts', () => {
  test.use({ stackOptions: { sim: SIM, hosts: 2 } });

  test('a row per host with its work and memory; a running job names its host', async ({ page, stack }) => {
    const [a, b] = await hostIds(stack);
    await expect(page.getByRole('heading', { name: 'Hosts' })).toBeVisible();
    const first = page.getByTestId(`host-${a}`);
    const second = page.getByTestId(`host-${b}`);
    await expect(first.getByTestId('host-badge')).toHaveText('up');
    await expect(second.getByTestId('host-badge')).toHaveText('up');
    await expect(page.getByTestId('memory-strip')).toHaveCount(2);

    const answer = chat(stack, 'llama3.2', 'a long one [[sim:tokens=400]]', true);
    await expect(page.locator('li.job.running').getByTestId('job-host')).toHaveCount(1);
    const ran = (await page.locator('li.job.running').getByTestId('job-host').textContent()) as string;
    expect([a, b]).toContain(ran);
    await expect(page.getByTestId(`host-${ran}`).getByTestId('host-running')).toHaveText('1 running');
    await expect(page.getByTestId(`host-${ran === a ? b : a}`).getByTestId('host-running')).toHaveText('nothing running');
    await expect(page.getByTestId(`host-${ran}`).locator('.memory-runner.busy')).toHaveCount(1);
    await expect(first.locator('.memory-runner.busy')).toHaveCount(1);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const width of [800, 1440]) {
        await page.setViewportSize({ width, height: 900 });
        expect(await page.evaluate(sticksOut), `${width} px, ${scheme}`).toEqual([]);
      }
      await shot(page, `hosts-1440-${scheme}`);
    }
    await (await answer).body?.cancel();
    await expect(page.getByTestId(`host-${ran}`).getByTestId('host-running')).toHaveText('nothing running');
  });

  test('a host that goes down and comes back shows both by its event, within 5 s', async ({ page, stack }) => {
    const [a, b] = await hostIds(stack);
    const first = page.getByTestId(`host-${a}`);
    await expect(first.getByTestId('host-badge')).toHaveText('up');
    // From here on the window fetches no snapshot: the row changes by the memory event alone.
    let fetches = 0;
    page.on('request', (r) => void (new URL(r.url()).pathname === '/foreman/queue' && fetches++));
    const port = Number(new URL(stack.simUrl).port);
    await stack.sim.close();
    await expect(first).toHaveAttribute('data-state', 'down', { timeout: 5_000 });
    await expect(first.getByTestId('host-badge')).toHaveText(/^down \d/);
    await expect(first.getByTestId('host-reason')).not.toBeEmpty();
    await expect(page.getByTestId(`host-${b}`).getByTestId('host-badge')).toHaveText('up');
    await expect(page.getByRole('status')).toHaveText('1 of 2 hosts down');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1440, height: 900 });
      expect(await page.evaluate(sticksOut), scheme).toEqual([]);
      await shot(page, `hosts-down-1440-${scheme}`);
    }

    const again = createSimulator({ tokensPerSecond: 0, loadMs: 20, ...SIM });
    await again.listen(port, '127.0.0.1');
    // Work goes on meanwhile: the host that is up serves it. (Its new lane is fetched once, for figures.)
    expect((await chat(stack, 'llama3.2', 'still served')).status).toBe(200);
    fetches = 0;
    try {
      await expect(first).toHaveAttribute('data-state', 'up', { timeout: 5_000 });
      await expect(first.getByTestId('host-reason')).toHaveCount(0);
      await expect(page.getByRole('status')).toHaveText('live');
      expect(fetches).toBe(0);
    } finally {
      await again.close();
    }
  });

  test('transcripts, history and the timeline name the host a job ran on', async ({ page, stack }) => {
    await (await chat(stack, 'llama3.2', 'hello [[sim:tokens=5]]')).text();
    const [job] = ((await (await fetch(`${stack.url}/foreman/jobs`)).json()) as { jobs: { id: string; host: string }[] }).jobs;
    const real = job!.host;
    await page.goto(`${stack.url}/ui/#/jobs/${job!.id}`);
    await expect(page.getByTestId('transcript-host')).toHaveText(real);
    await page.setViewportSize({ width: 1440, height: 900 });
    await shot(page, 'hosts-transcript-1440');
    await page.goto(`${stack.url}/ui/#/history`);
    await expect(page.getByRole('columnheader', { name: 'Host' })).toBeVisible();
    await expect(page.getByTestId(`history-${job!.id}`).getByTestId('history-host')).toHaveText(real);
    await page.goto(`${stack.url}/ui/#/timeline`);
    const band = `${real} · llama3.2:latest`;
    await expect(page.getByTestId(`model-label-${band}`)).toHaveAttribute('title', band);
    await expect(page.getByTestId(`segment-${band}`)).toHaveCount(1);
    await shot(page, 'hosts-timeline-1440');
    await page.goto(`${stack.url}/ui/#/history`);
    await shot(page, 'hosts-history-1440');
  });
});

test('with one host the queue shows its one memory strip as before, and names no host', async ({ page, stack }) => {
  await (await chat(stack, 'llama3.2', 'hello')).text();
  await expect(page.getByTestId('memory-strip')).toHaveCount(1);
  await expect(page.getByTestId('memory-strip')).toContainText('GPU memory');
  await expect(page.getByRole('heading', { name: 'Hosts' })).toHaveCount(0);
  await page.goto(`${stack.url}/ui/#/history`);
  await expect(page.getByRole('columnheader', { name: 'Model' })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Host' })).toHaveCount(0);
  await page.goto(`${stack.url}/ui/#/timeline`);
  await expect(page.getByTestId('model-label-llama3.2:latest')).toBeVisible();
});
