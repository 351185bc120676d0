/**
 * The window under load, in Debian's Chromium: 10,000 rows of history scrolled end to end, and the
 * queue and a transcript with 8 answers streaming at 50 tokens/s each. Prints frame times (from
 * requestAnimationFrame in the page) and event-to-screen latency (a token event's arrival to the DOM
 * change that shows it, and to the next frame after that).
 */
import { chromium, type Page } from '@playwright/test';
import os from 'node:os';
import { startStack } from '../main/test-support/harness.js';
import { percentile, table, fixed, envInt } from './report.js';

const HISTORY_ROWS = envInt('BENCH_HISTORY_ROWS', 10_000);
const STREAMS = envInt('BENCH_STREAMS', 8);
const RATE = 50;

function stats(values: number[]): { p50: number; p95: number; p99: number; max: number; n: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.at(-1) ?? NaN, n: s.length };
}

/** Frame-to-frame times in the page for `ms` while `during` runs. */
async function frames(page: Page, ms: number, during: () => Promise<void> = async () => {}): Promise<number[]> {
  // Page scripts go in as text: tsx would wrap named functions in a helper the page does not have.
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__frameLoop = true;
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (window.__frameLoop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const until = Date.now() + ms;
  await during();
  while (Date.now() < until) await page.waitForTimeout(50);
  return page.evaluate(`(() => { window.__frameLoop = false; return window.__frames.slice(1); })()`) as Promise<number[]>;
}

async function main(): Promise<void> {
  const stack = await startStack({
    sim: { tokensPerSecond: RATE, loadMs: 10, parallel: STREAMS, maxLoaded: 1 },
    foreman: { concurrency: STREAMS },
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  try {
    // 10,000 finished jobs, written straight to the store as history.
    const { store } = stack.foreman;
    const now = Date.now();
    store.db.transaction(() => {
      for (let i = 0; i < HISTORY_ROWS; i++) {
        const id = `job_bench${String(i).padStart(6, '0')}`;
        const t = now - (HISTORY_ROWS - i) * 1000;
        store.insertJob({
          id,
          source: i % 3 ? 'passthrough' : 'jobs',
          route: '/api/chat',
          api: 'chat',
          model: i % 2 ? 'llama3.2' : 'gemma3:1b',
          lane: i % 2 ? 'llama3.2:latest' : 'gemma3:1b',
          client: '127.0.0.1 bench',
          priority: 0,
          stream: true,
          createdAt: t,
          request: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}',
        });
        store.markWorking(id, t + 10);
        store.finishJob(id, {
          state: i % 17 ? 'succeeded' : 'failed',
          finishedAt: t + 500,
          statusCode: 200,
          response: '{"message":{"role":"assistant","content":"ok"},"done":true}',
          eval_count: 12,
          eval_duration: 240e6,
        });
      }
    })();

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const t0 = Date.now();
    await page.goto(`${stack.url}/ui/#/history`);
    await page
      .getByText('job_bench009999')
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(() => undefined);
    const firstRowsMs = Date.now() - t0;
    const domRows = (await page.evaluate(`document.querySelectorAll('a[href*="#/jobs/"]').length`)) as number;
    const topRow = async () =>
      (await page.evaluate(`document.querySelector('[data-testid^="history-job_"]')?.getAttribute('data-testid') ?? ''`)) as string;
    const before = await topRow();
    await page.mouse.move(640, 500);
    const scroll = await frames(page, 4000, async () => {
      for (let i = 0; i < 80; i++) {
        await page.mouse.wheel(0, 2500);
        await page.waitForTimeout(40);
      }
    });

    const after = await topRow();

    // 8 answers streaming at 50 tokens/s each, all for one model (Ollama's parallel slots).
    const streams = Array.from({ length: STREAMS }, (_, i) =>
      fetch(`${stack.url}/api/chat`, {
        method: 'POST',
        body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: `stream ${i} [[sim:tokens=700]]` }] }),
      }).then((r) => r.text()),
    );
    await page.goto(`${stack.url}/ui/#/`);
    while (stack.foreman.scheduler.running < STREAMS) await page.waitForTimeout(20);
    const queueFrames = await frames(page, 5000);

    const [watched] = stack.foreman.board.rows();
    await page.goto(`${stack.url}/ui/#/jobs/${watched!.id}`);
    await page.getByTestId('transcript-response').waitFor();
    // A second EventSource in the page timestamps each token event for this job as it arrives; a
    // MutationObserver timestamps each change of the response text; the next frame follows.
    const latencies = (await page.evaluate(`(async (id) => {
      const arrivals = [];
      const toDom = [];
      const toFrame = [];
      const es = new EventSource('/foreman/events');
      es.addEventListener('tokens', (e) => {
        const data = JSON.parse(e.data);
        if (data.id === id && data.content) arrivals.push(performance.now());
      });
      const el = document.querySelector('[data-testid="transcript-response"]');
      const obs = new MutationObserver(() => {
        const t = performance.now();
        const arrived = arrivals.shift();
        arrivals.length = 0;
        if (arrived === undefined) return;
        toDom.push(t - arrived);
        requestAnimationFrame(() => toFrame.push(performance.now() - arrived));
      });
      obs.observe(el, { childList: true, subtree: true, characterData: true });
      await new Promise((r) => setTimeout(r, 5000));
      obs.disconnect();
      es.close();
      return { toDom, toFrame };
    })(${JSON.stringify(watched!.id)})`)) as { toDom: number[]; toFrame: number[] };
    const transcriptFrames = await frames(page, 3000);
    await Promise.all(streams);

    const rows: (string | number)[][] = [];
    for (const [name, f] of [
      ['history scroll (10k rows)', scroll],
      [`queue, ${STREAMS} streams`, queueFrames],
      ['transcript, streaming', transcriptFrames],
    ] as const) {
      const s = stats(f);
      rows.push([name, s.n, fixed(s.p50, 1), fixed(s.p95, 1), fixed(s.p99, 1), fixed(s.max, 1)]);
    }
    console.log(
      `\n== ui: ${HISTORY_ROWS} history rows, ${STREAMS} streams at ${RATE} tokens/s, Chromium headless, ${os.cpus().length} cores ==`,
    );
    console.log(
      `history: first rows on screen after ${firstRowsMs} ms; ${domRows} row links in the DOM (virtualised); scrolled from ${before.replace('history-', '')} to ${after.replace('history-', '')}`,
    );
    console.log(table(['frame times (ms)', 'frames', 'p50', 'p95', 'p99', 'max'], rows));
    const dom = stats(latencies.toDom);
    const frame = stats(latencies.toFrame);
    console.log(
      table(
        ['event → screen (ms)', 'samples', 'p50', 'p95', 'p99', 'max'],
        [
          ['token event → DOM', dom.n, fixed(dom.p50, 1), fixed(dom.p95, 1), fixed(dom.p99, 1), fixed(dom.max, 1)],
          ['token event → next frame', frame.n, fixed(frame.p50, 1), fixed(frame.p95, 1), fixed(frame.p99, 1), fixed(frame.max, 1)],
        ],
      ),
    );
  } finally {
    await browser.close();
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
