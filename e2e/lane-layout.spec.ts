/**
 * Nothing sticks out of a lane card at any width from 800 px, light or dark: every element of every
 * card lies inside the card's box, no button's text is cut, and every job row keeps its time and Cancel.
 */
import { test, expect } from './fixtures.js';
import { busyQueue } from './busy.js';

/** What sticks out, per card: "<card> <element>: how". Runs in the page. */
function overflowing(): string[] {
  const out: string[] = [];
  const name = (el: Element) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${(el.textContent ?? '').slice(0, 30)}"`;
  for (const card of document.querySelectorAll('section.lane')) {
    const box = card.getBoundingClientRect();
    for (const el of card.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const where = `${card.getAttribute('data-testid')} ${name(el)}`;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5)
        out.push(`${where}: x ${r.left}–${r.right} outside ${box.left}–${box.right}`);
      if (r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        out.push(`${where}: y ${r.top}–${r.bottom} outside ${box.top}–${box.bottom}`);
      if (el instanceof HTMLButtonElement && el.scrollWidth > el.clientWidth)
        out.push(`${where}: text cut (${el.scrollWidth} > ${el.clientWidth})`);
    }
    // A time that wraps ("1.8⏎s") has its text on two lines.
    for (const t of card.querySelectorAll('[title="Waiting for"], [title="Running for"]')) {
      const range = document.createRange();
      range.selectNodeContents(t);
      const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      if (lines.size > 1) out.push(`${card.getAttribute('data-testid')} ${name(t)}: wraps`);
    }
    for (const row of card.querySelectorAll('li.job')) {
      if (!row.querySelector('[title="Waiting for"], [title="Running for"]') || !row.querySelector('button'))
        out.push(`${card.getAttribute('data-testid')} ${name(row)}: lost its time or Cancel`);
    }
  }
  return out;
}

test.describe('lane cards', () => {
  test.use({ stackOptions: { sim: { maxLoaded: 1, loadMs: 200, tokensPerSecond: 6 } } });

  test('no element sticks out of its card at 800, 1024, 1440 and 1920 px, light and dark', async ({ page, stack }) => {
    await busyQueue(stack);
    await expect(page.locator('li.job')).toHaveCount(9);
    await expect(page.locator('li.job.running .stream-tail')).toBeVisible();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const width of [800, 1024, 1440, 1920]) {
        await page.setViewportSize({ width, height: 900 });
        expect(await page.evaluate(overflowing), `${width} px, ${scheme}`).toEqual([]);
      }
    }
  });
});
