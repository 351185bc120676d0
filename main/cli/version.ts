/** foreman's version, from the package.json above this file (the source tree and dist/ alike). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function foremanVersion(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'foreman' && pkg.version) return pkg.version;
    } catch {
      // No package.json here (or not ours): look one folder up.
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
