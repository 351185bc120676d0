/**
 * Several Ollama hosts in the window: a row per host above the lanes (state, work, memory strip), the
 * host named on running jobs, transcripts and history, and a timeline band per host and model.
 *
 * The test stack fronts one simulator (startStack takes no `hosts` yet), so the window is shown a second
 * host: the snapshot and the `memory` events gain a stubbed `gpu2:11434`, and job rows that name no host
 * yet get the real one's id (what the server will fill in). The first host is the real one: it goes
 * down and comes back for real (the simulator closed, then started again on its port), by the real event.
 */
import type { Page } from '@playwright/test';
import type { HostRow, QueueSnapshot } from '../shared/api.js';
import { createSimulator, type SimulatorOptions } from '../main/sim/simulator.js';
import { test, expect, chat, shot } from './fixtures.js';

const SIM: SimulatorOptions = { loadMs: 30, tokensPerSecond: 20 };
const GB = 1e9;
const SECOND: HostRow = {
  id: 'gpu2:11434',
  url: 'http://gpu2:11434',
  state: 'up',
  reason: null,
  since: 0,
  running: 0,
  memory: {
    budget_bytes: 24 * GB,
    budget_source: 'configured',
    max_loaded: 2,
    runners: [{ lane: 'qwen2.5-coder:32b-instruct-q4_K_M', model: 'qwen2.5-coder:32b-instruct-q4_K_M', bytes: 19.8 * GB, in_flight: 0 }],
  },
};

type Json = Record<string, unknown>;

/** Job rows and timeline items that name no host ran on `host` (the only real one). */
function fillHost(path: string, body: Json, host: string): Json {
  const fill = (rows: Json[]) => rows.forEach((r) => (r.started_at !== null || 'start' in r) && (r.host ??= host));
  if (path === '/foreman/queue') {
    body.hosts = [...(body.hosts as HostRow[]), SECOND];
    for (const lane of body.lanes as Json[]) fill(lane.running as Json[]);
  } else if (path === '/foreman/jobs') fill(body.jobs as Json[]);
  else if (path === '/foreman/timeline') fill([...(body.segments as Json[]), ...(body.bars as Json[])]);
  else fill([body]);
  return body;
}

/** The window as it will be with two hosts; see the top of this file. */
async function twoHosts(page: Page, url: string): Promise<string> {
  const real = ((await (await fetch(`${url}/foreman/queue`)).json()) as QueueSnapshot).hosts[0]!.id;
  await page.route(
    (u) => /^\/foreman\/(queue|jobs|jobs\/[^/]+|timeline)$/.test(u.pathname),
    async (route) => {
      if (route.request().method() !== 'GET') return route.fallback();
      const response = await route.fetch();
      const path = new URL(route.request().url()).pathname;
      await route.fulfill({ response, json: fillHost(path, (await response.json()) as Json, real) });
    },
  );
  await page.addInitScript(
    ({ second, host }) => {
      const Native = window.EventSource;
      // The same widening for the stream: memory events gain the second host, job rows their host.
      window.EventSource = class extends Native {
        override addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void {
          if (type !== 'memory' && type !== 'job') return super.addEventListener(type, listener, options);
          const widened = (e: Event) => {
            const msg = e as MessageEvent<string>;
            const data = JSON.parse(msg.data) as { hosts?: unknown[]; job?: { started_at: number | null; host?: string | null } };
            if (data.hosts) data.hosts = [...data.hosts, second];
            if (data.job && data.job.started_at !== null) data.job.host ??= host;
            (listener as (e: MessageEvent) => void)(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: msg.lastEventId }));
          };
          super.addEventListener(type, widened, options);
        }
      };
    },
    { second: SECOND, host: real },
  );
  await page.goto(`${url}/ui/`);
  return real;
}

/** What sticks out of a host row or lane card (text cut with an ellipsis on purpose is fine). Runs in the page. */
function sticksOut(): string[] {
  const out: string[] = [];
  for (const box of document.querySelectorAll('li.host, section.lane')) {
    const outer = box.getBoundingClientRect();
    for (const el of box.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const inside = r.left >= outer.left - 0.5 && r.right <= outer.right + 0.5 && r.top >= outer.top - 0.5 && r.bottom <= outer.bottom + 0.5;
      if (!inside) out.push(`${box.getAttribute('data-testid')} ${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').slice(0, 30)}"`);
    }
  }
  return out;
}

test.describe('several hosts', () => {
  test.use({ stackOptions: { sim: SIM } });

  test('a row per host with its work and memory; a running job names its host', async ({ page, stack }) => {
    const real = await twoHosts(page, stack.url);
    await expect(page.getByRole('heading', { name: 'Hosts' })).toBeVisible();
    const first = page.getByTestId(`host-${real}`);
    const second = page.getByTestId(`host-${SECOND.id}`);
    await expect(first.getByTestId('host-badge')).toHaveText('up');
    await expect(second.getByTestId('host-badge')).toHaveText('up');
    await expect(second.getByTestId('memory-strip')).toContainText('19.8 GB');
    await expect(page.getByTestId('memory-strip')).toHaveCount(2);

    const answer = chat(stack, 'llama3.2', 'a long one [[sim:tokens=400]]', true);
    await expect(first.getByTestId('host-running')).toHaveText('1 running');
    await expect(second.getByTestId('host-running')).toHaveText('nothing running');
    await expect(page.locator('li.job.running').getByTestId('job-host')).toHaveText(real);
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
    await expect(first.getByTestId('host-running')).toHaveText('nothing running');
  });

  test('a host that goes down and comes back shows both by its event, within 5 s', async ({ page, stack }) => {
    const real = await twoHosts(page, stack.url);
    const first = page.getByTestId(`host-${real}`);
    await expect(first.getByTestId('host-badge')).toHaveText('up');
    // From here on the window fetches no snapshot: the row changes by the memory event alone.
    let fetches = 0;
    page.on('request', (r) => void (new URL(r.url()).pathname === '/foreman/queue' && fetches++));
    const port = Number(new URL(stack.simUrl).port);
    await stack.sim.close();
    await expect(first).toHaveAttribute('data-state', 'down', { timeout: 5_000 });
    await expect(first.getByTestId('host-badge')).toHaveText(/^down \d/);
    await expect(first.getByTestId('host-reason')).not.toBeEmpty();
    await expect(page.getByTestId(`host-${SECOND.id}`).getByTestId('host-badge')).toHaveText('up');
    await expect(page.getByRole('status')).toHaveText('1 of 2 hosts down');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1440, height: 900 });
      expect(await page.evaluate(sticksOut), scheme).toEqual([]);
      await shot(page, `hosts-down-1440-${scheme}`);
    }

    const again = createSimulator({ tokensPerSecond: 0, loadMs: 20, ...SIM });
    await again.listen(port, '127.0.0.1');
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
    const real = await twoHosts(page, stack.url);
    await (await chat(stack, 'llama3.2', 'hello [[sim:tokens=5]]')).text();
    const [job] = ((await (await fetch(`${stack.url}/foreman/jobs`)).json()) as { jobs: { id: string }[] }).jobs;
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
