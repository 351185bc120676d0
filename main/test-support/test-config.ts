import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type ForemanConfig } from '../core/config.js';

export function tempDir(prefix = 'foreman-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** foreman's defaults, on a free loopback port, a temp data dir and the given upstream. */
export function testConfig(upstream: string, over: Partial<ForemanConfig> = {}, dataDir = tempDir()): ForemanConfig {
  return { ...parseConfig(['--listen', '127.0.0.1:0', '--upstream', upstream, '--data-dir', dataDir], {}), ...over };
}
