/**
 * Two simulators behind the union plugin, as one Ollama to real clients (ollama-js, openai-node).
 */
import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { createSimulator, type Simulator } from '../sim/simulator.js';
import { createOllamaClient } from '../ollama/client.js';
import { parseOllamaHost } from '../ollama/ollama-host.js';
import { hostsUnionPlugin, HOST_HEADER } from './hosts-union.js';
import { installErrorHandler } from './errors.js';

let sims: Simulator[] = [];
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
  app = undefined;
});

async function twoHosts(down = new Set<string>()) {
  sims = [
    createSimulator({ models: ['llama3.2', 'nomic-embed-text'], loadMs: 1 }),
    createSimulator({ models: ['llama3.2', 'gemma3:1b'], loadMs: 1 }),
  ];
  const urls = await Promise.all(sims.map((s) => s.listen(0)));
  const hosts = urls.map((u) => {
    const client = createOllamaClient({ upstream: parseOllamaHost(u) });
    return { id: client.upstream.host, client, up: () => !down.has(client.upstream.host) };
  });
  app = Fastify();
  installErrorHandler(app, 1e6);
  await app.register(hostsUnionPlugin, { hosts });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, hosts };
}

describe('several hosts as one Ollama', () => {
  it('lists the union of models once each, for ollama-js and openai-node alike', async () => {
    const { url } = await twoHosts();
    const ollama = new Ollama({ host: url });
    expect((await ollama.list()).models.map((m) => m.name).sort()).toEqual(['gemma3:1b', 'llama3.2:latest', 'nomic-embed-text:latest']);
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'ollama' });
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['gemma3:1b', 'llama3.2:latest', 'nomic-embed-text:latest']);
  });

  it('shows what every host holds, each entry naming its host, and ollama-js still parses it', async () => {
    const { url, hosts } = await twoHosts();
    for (const [i, s] of sims.entries()) {
      await fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: i ? 'gemma3:1b' : 'llama3.2' }) });
    }
    const ps = await new Ollama({ host: url }).ps();
    expect(ps.models.map((m) => [m.name, (m as unknown as { foreman_host: string }).foreman_host]).sort()).toEqual([
      ['gemma3:1b', hosts[1]!.id],
      ['llama3.2:latest', hosts[0]!.id],
    ]);
  });

  it("answers /api/show from a host that has the model, and Ollama's 404 when none has", async () => {
    const { url } = await twoHosts();
    const show = await fetch(`${url}/api/show`, { method: 'POST', body: JSON.stringify({ model: 'gemma3:1b' }) });
    expect(show.status).toBe(200);
    const missing = await fetch(`${url}/api/show`, { method: 'POST', body: JSON.stringify({ model: 'nope' }) });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/^model 'nope(:latest)?' not found$/);
  });

  it('deletes on every host, or on the one X-Foreman-Host names', async () => {
    const { url, hosts } = await twoHosts();
    const one = await fetch(`${url}/api/delete`, {
      method: 'DELETE',
      headers: { [HOST_HEADER]: hosts[0]!.id },
      body: JSON.stringify({ model: 'llama3.2' }),
    });
    expect(one.status).toBe(200);
    const names = async (s: Simulator) =>
      ((await (await fetch(`${s.url}/api/tags`)).json()) as { models: { name: string }[] }).models.map((m) => m.name);
    expect(await names(sims[0]!)).not.toContain('llama3.2:latest');
    expect(await names(sims[1]!)).toContain('llama3.2:latest');
    // Everywhere: the first host no longer has it, so its 404 is the answer, naming the host.
    const all = await fetch(`${url}/api/delete`, { method: 'DELETE', body: JSON.stringify({ model: 'llama3.2' }) });
    expect(all.status).toBe(404);
    expect(((await all.json()) as { error: string }).error).toContain(hosts[0]!.id);
    const bad = await fetch(`${url}/api/tags`, { headers: { [HOST_HEADER]: 'nowhere:1' } });
    expect(bad.status).toBe(400);
  });

  it('leaves a down host out of the lists', async () => {
    const down = new Set<string>();
    const { url, hosts } = await twoHosts(down);
    down.add(hosts[1]!.id);
    const tags = (await (await fetch(`${url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name).sort()).toEqual(['llama3.2:latest', 'nomic-embed-text:latest']);
  });
});
