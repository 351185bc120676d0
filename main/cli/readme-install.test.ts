/** The README's lines for an offline or locked-down `npm ci` say what `.ci/run` really sets and installs. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../test-support/spawn-cli.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const ciRun = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');

describe('README: installing offline or locked down', () => {
  const offline = readme
    .split('\n')
    .filter((line, i, lines) => line.startsWith('Offline or locked down') || lines[i - 1]?.startsWith('Offline or locked down'));

  it('is two lines, after the two commands', () => {
    expect(offline).toHaveLength(2);
    expect(readme.indexOf('npm ci && npm run demo')).toBeLessThan(readme.indexOf(offline[0]!));
    expect(readme.indexOf('\nnpm test ')).toBeLessThan(readme.indexOf(offline[0]!));
  });

  it('names every variable .ci/run sets for npm ci, and the build tools it installs', () => {
    const exported = [...ciRun.matchAll(/export (\w+)=(\S+?);?\s/g)].map((m) => `${m[1]}=${m[2]}`);
    const forNpm = exported.filter((v) => /^(ELECTRON_|PLAYWRIGHT_|npm_config_)/.test(v));
    expect(forNpm.length).toBeGreaterThanOrEqual(3);
    for (const v of forNpm) expect(offline.join('\n')).toContain(v);
    for (const tool of ['g++', 'make', 'python3']) {
      expect(ciRun).toContain(`need+=(${tool})`);
      expect(offline[0]).toContain(tool);
    }
  });
});
