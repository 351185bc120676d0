/**
 * What `npm ci` installs for foreman to run must accept every Node the project declares, or `npm ci`
 * warns EBADENGINE on a Node we claim to support (the lockfile is what `npm ci` installs, so it is read here).
 */
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from '../test-support/spawn-cli.js';
import { tempDir } from '../test-support/test-config.js';

// semver comes with npm's own dependency tree (fastify uses it); its types are not installed.
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

interface LockEntry {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const read = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describe('runtime dependencies and the declared Node', () => {
  const declared = (read('package.json') as { engines: { node: string } }).engines.node;
  const lock = read('package-lock.json') as { packages: Record<string, LockEntry> };
  // The lowest version of each declared line (20.19.0, 22.12.0) and the Node running the tests.
  const lowest = declared
    .split('||')
    .map((r) => semver.minVersion(r)?.version)
    .filter((v): v is string => !!v);
  const nodes = [...new Set([...lowest, process.versions.node])];

  it('declares the Node lines the toolchain supports', () => {
    expect(lowest).toEqual(['20.19.0', '22.12.0']);
    expect(semver.satisfies(process.versions.node, declared)).toBe(true);
  });

  it.each(nodes)('every runtime package accepts Node %s', (node) => {
    const refusing = Object.entries(lock.packages)
      .filter(
        ([name, p]) => name !== '' && !p.dev && !Array.isArray(p.engines) && p.engines?.node && !semver.satisfies(node, p.engines.node),
      )
      .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});

describe('the versions pinned by overrides in package.json', () => {
  it('serve what their dependents call: cookies in fastify.inject (cookie 1.x), reply.download (content-disposition 2.x)', async () => {
    const root = tempDir();
    fs.writeFileSync(path.join(root, 'résumé.txt'), 'cv');
    const app = Fastify();
    await app.register(fastifyStatic, { root, serve: false });
    app.get('/file', (_request, reply) => reply.download('résumé.txt'));
    app.get('/cookie', async (request) => request.headers.cookie ?? '');
    const file = await app.inject({ url: '/file' });
    expect(file.body).toBe('cv');
    expect(file.headers['content-disposition']).toBe(`attachment; filename="r?sum?.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`);
    expect((await app.inject({ url: '/cookie', cookies: { a: '1', b: 'x y' } })).body).toBe('a=1; b=x%20y');
    await app.close();
  });
});
