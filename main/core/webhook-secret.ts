import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** The signing secret: the configured one, else the one generated on first start and kept in the data dir. */
export function loadWebhookSecret(dataDir: string, configured: string | null): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'webhook-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  fs.mkdirSync(dataDir, { recursive: true });
  // 'wx' fails if another process created it first; then theirs wins.
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return fs.readFileSync(file, 'utf8').trim();
  }
}
