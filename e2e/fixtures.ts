/**
 * Each test gets the real headless core in front of the simulator (in this process, on free loopback
 * ports) and a Chromium page on its window at /ui/.
 */
import { test as base, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from '../main/test-support/harness.js';
import type { SimulatorOptions } from '../main/sim/simulator.js';
import type { ForemanConfig } from '../main/core/config.js';

export const SHOTS = path.resolve('test-results', 'screenshots');

export const test = base.extend<{
  stackOptions: { sim?: SimulatorOptions; foreman?: Partial<ForemanConfig>; hosts?: number };
  stack: Stack;
}>({
  stackOptions: [{}, { option: true }],
  stack: async ({ stackOptions }, use) => {
    const stack = await startStack(stackOptions);
    await use(stack);
    await stack.close();
  },
  page: async ({ page, stack }, use) => {
    // Script errors and CSP violations in the window fail the test that caused them.
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      // A connection cut by a server restart is logged by the browser itself; that is not the window's fault.
      if (msg.type() === 'error' && !msg.text().includes('net::ERR_')) errors.push(msg.text());
    });
    await page.goto(`${stack.url}/ui/`);
    await use(page);
    expect(errors).toEqual([]);
  },
});

export { expect };

export async function shot(page: import('@playwright/test').Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Sends a request the way a client would, without waiting for the answer. */
export function chat(stack: Stack, model: string, content: string, stream = false): Promise<Response> {
  return fetch(`${stack.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content }], stream }) });
}

export async function submitJob(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return ((await res.json()) as { id: string }).id;
}
