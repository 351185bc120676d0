/** The `ollama-sim` CLI as scripts use it: a ready line with the URL, options applied, clean exit on SIGTERM. */
import { describe, expect, it } from 'vitest';
import { spawnSimulator } from '../test-support/spawn-cli.js';

describe('ollama-sim cli', () => {
  it('prints its URL when ready, applies its flags and exits on SIGTERM', async () => {
    const sim = await spawnSimulator(['--models', 'llama3.2,tinyllama:1b', '--load-ms', '1', '--tokens-per-sec', '0', '--version', '9.9.9']);
    try {
      expect(sim.output()).toMatch(/^ollama-sim listening on http:\/\/127\.0\.0\.1:\d+\n$/);
      expect(await (await fetch(`${sim.url}/api/version`)).text()).toBe('{"version":"9.9.9"}');
      const tags = (await (await fetch(`${sim.url}/api/tags`)).json()) as { models: Array<{ name: string }> };
      expect(tags.models.map((m) => m.name)).toEqual(['llama3.2:latest', 'tinyllama:1b']);
    } finally {
      sim.proc.kill('SIGTERM');
    }
    expect(await sim.exited).toBe(0);
  });
});
