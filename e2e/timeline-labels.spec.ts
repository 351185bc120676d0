/**
 * The timeline's model names: whole where they fit, else cut in the middle (family and tag kept) with
 * the whole name on hover; never cut at the edge of the chart.
 */
import { test, expect, chat, shot } from './fixtures.js';

const LONG = 'hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M';
const MODELS = ['llama3.2:latest', 'nomic-embed-text:latest', LONG];

test.describe('timeline labels', () => {
  test.use({ stackOptions: { sim: { models: ['llama3.2', 'nomic-embed-text', LONG], loadMs: 20, tokensPerSecond: 200 } } });

  test('long model names show whole or elided in the middle, with the whole name on hover', async ({ page, stack }) => {
    await (await chat(stack, 'llama3.2', 'a [[sim:tokens=3]]')).text();
    await (
      await fetch(`${stack.url}/api/embed`, { method: 'POST', body: JSON.stringify({ model: 'nomic-embed-text', input: 'a' }) })
    ).text();
    await (await chat(stack, LONG, 'b [[sim:tokens=3]]')).text();
    await page.goto(`${stack.url}/ui/#/timeline`);
    for (const width of [800, 1440]) {
      await page.setViewportSize({ width, height: 800 });
      for (const model of MODELS) {
        const label = page.getByTestId(`model-label-${model}`);
        await expect(label).toHaveAttribute('title', model);
        const text = (await label.textContent())!;
        if (text !== model) {
          const [start, end] = text.split('…');
          expect(model.startsWith(start!) && model.endsWith(end!) && start!.length > 0 && end!.length > 0, `${text} at ${width} px`).toBe(
            true,
          );
        }
        // Drawn whole: inside the chart, and no CSS clipping of its own.
        const fits = await label.evaluate((el) => {
          const chart = el.closest('.chart')!.getBoundingClientRect();
          const r = el.getBoundingClientRect();
          return r.left >= chart.left && r.right <= chart.right && el.scrollWidth <= el.clientWidth;
        });
        expect(fits, `${model} at ${width} px`).toBe(true);
      }
      await expect(page.getByTestId('model-label-nomic-embed-text:latest')).toHaveText('nomic-embed-text:latest');
      if (width === 800) await expect(page.getByTestId(`model-label-${LONG}`)).toHaveText(/^hf\.co\/.+….+:Q4_K_M$/);
      await shot(page, `timeline-labels-${width}`);
    }
  });
});
