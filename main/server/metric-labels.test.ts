/**
 * Model names clients make up, against a real foreman and the simulator: metrics label only models
 * Ollama has (the rest fold into model="other"), and the timeline gives them no lane.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Timeline } from '../../shared/api.js';
import { startStack, type Stack } from '../test-support/harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const metrics = async (s: Stack) => (await fetch(`${s.url}/foreman/metrics`)).text();
const modelLabels = (text: string) => new Set([...text.matchAll(/model="([^"]*)"/g)].map((m) => m[1]));
const generate = (s: Stack, model: string) =>
  fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model, prompt: 'hi', stream: false }) }).then((r) => r.status);

describe('model labels', () => {
  it('made-up model names fold into model="other" in metrics and get no lane in the timeline', async () => {
    stack = await startStack();
    const s = stack;
    const installed = ((await (await fetch(`${s.simUrl}/api/tags`)).json()) as { models: { model: string }[] }).models.map((m) => m.model);
    expect(installed).toContain('llama3.2:latest');

    // Waiting: the queue depth per model.
    await fetch(`${s.url}/foreman/pause`, { method: 'POST' });
    const answers = [generate(s, 'llama3.2'), ...Array.from({ length: 40 }, (_, i) => generate(s, `made-up-${i}`))];
    await expect.poll(() => s.foreman.scheduler.waiting).toBe(41);
    await expect.poll(() => metrics(s)).toContain('foreman_queue_depth{model="other"} 40');
    const waiting = await metrics(s);
    expect(waiting).toContain('foreman_queue_depth{model="llama3.2:latest"} 1');

    // Run: switches and loads per model.
    await fetch(`${s.url}/foreman/resume`, { method: 'POST' });
    const statuses = await Promise.all(answers);
    expect(statuses[0]).toBe(200);
    expect(new Set(statuses.slice(1))).toEqual(new Set([404]));
    const text = await metrics(s);
    expect(text).toMatch(/foreman_model_switches_total\{host="[^"]+",model="other"\} \d+/);
    for (const label of modelLabels(text)) expect([...installed, 'other'], label).toContain(label);

    s.foreman.store.flush();
    const timeline = (await (await fetch(`${s.url}/foreman/timeline`)).json()) as Timeline;
    expect(new Set(timeline.segments.map((g) => g.model))).toEqual(new Set(['llama3.2:latest']));
    expect(timeline.bars.map((b) => b.model)).toEqual(['llama3.2:latest']);
  });
});
