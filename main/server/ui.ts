/**
 * The window, built by Vite into dist/renderer, served at /ui/ with a strict Content-Security-Policy:
 * nothing but this origin (no CDNs, no inline scripts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export const CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** The project root: the nearest folder above this module with a package.json (source or dist). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

export async function uiPlugin(app: FastifyInstance, options: { root?: string }): Promise<void> {
  const root = options.root ?? path.join(projectRoot(), 'dist', 'renderer');
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  app.get('/ui', (_request, reply) => reply.redirect('/ui/'));
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.get('/ui/*', async (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The window is not built yet: run `npm run build`, then reload.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, { root, prefix: '/ui/', index: 'index.html', cacheControl: false });
}
