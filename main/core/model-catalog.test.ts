/** The model catalogue: labels only for models Ollama has, and a flood of unknown names costs little. */
import { describe, expect, it } from 'vitest';
import { createModelCatalog } from './model-catalog.js';

function fakeTags(names: string[]) {
  const calls: number[] = [];
  let t = 0;
  let answer: () => Promise<string[]> = async () => [...names];
  return {
    calls,
    clock: { now: () => t, advance: (ms: number) => void (t += ms) },
    list: () => {
      calls.push(t);
      return answer();
    },
    failNext: () => void (answer = async () => Promise.reject(new Error('connect ECONNREFUSED'))),
    recover: () => void (answer = async () => [...names]),
    names,
  };
}

describe('model catalogue', () => {
  it('labels a lane by its model when Ollama has it, else "other"; runner options do not make new labels', async () => {
    const tags = fakeTags(['llama3.2:latest', 'gemma3:1b']);
    const models = createModelCatalog({ list: tags.list, now: tags.clock.now });
    await models.refresh();
    expect(models.label('llama3.2:latest')).toBe('llama3.2:latest');
    expect(models.label('llama3.2:latest · num_ctx 8192')).toBe('llama3.2:latest');
    expect(models.label('made-up-123:latest')).toBe('other');
    expect(models.exists('gemma3:1b · num_ctx 2048')).toBe(true);
    expect(models.exists('made-up-123:latest')).toBe(false);
  });

  it('asks /api/tags again for unknown names at most once per gap, and learns a model pulled meanwhile', async () => {
    const tags = fakeTags(['llama3.2:latest']);
    const models = createModelCatalog({ list: tags.list, now: tags.clock.now, minGapMs: 5000 });
    await models.refresh();
    tags.clock.advance(5000);
    for (let i = 0; i < 20_000; i++) expect(models.label(`nope-${i}:latest`)).toBe('other');
    expect(tags.calls).toEqual([0, 5000]);
    await models.refresh();
    tags.names.push('qwen3:0.6b');
    tags.clock.advance(1000);
    expect(models.label('qwen3:0.6b')).toBe('other');
    expect(tags.calls).toHaveLength(2);
    tags.clock.advance(4000);
    expect(models.label('qwen3:0.6b')).toBe('other');
    expect(tags.calls).toEqual([0, 5000, 10_000]);
    await models.refresh();
    expect(models.label('qwen3:0.6b')).toBe('qwen3:0.6b');
  });

  it('before Ollama ever answers, hides no timeline lane but labels nothing; a failed refresh keeps what was known', async () => {
    const tags = fakeTags(['llama3.2:latest']);
    tags.failNext();
    const models = createModelCatalog({ list: tags.list, now: tags.clock.now });
    await models.refresh();
    expect(models.exists('llama3.2:latest')).toBe(true);
    expect(models.label('llama3.2:latest')).toBe('other');
    tags.recover();
    await models.refresh();
    tags.failNext();
    await models.refresh();
    expect(models.label('llama3.2:latest')).toBe('llama3.2:latest');
    expect(models.exists('nope:latest')).toBe(false);
  });
});
