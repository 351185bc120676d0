#!/usr/bin/env node
// `npm test`: every check the project has, in order, then one plain `N passed, N failed` line.
// Lint and type checks count as one test each; Vitest and Playwright report their own counts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const out = '.ci-out';
fs.mkdirSync(out, { recursive: true });
let passed = 0;
let failed = 0;
const t0 = Date.now();

function run(label, cmd, args, env = {}) {
  console.log(`\n::: ${label} (t=${Math.round((Date.now() - t0) / 1000)}s)`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function check(label, cmd, args) {
  if (run(label, cmd, args)) passed++;
  else {
    failed++;
    console.log(`✗ ${label} failed`);
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

check('lint', 'npx', ['eslint', '.']);
check('format', 'npx', ['prettier', '--check', '.']);
check('typecheck', 'npm', ['run', '-s', 'typecheck']);
check('build', 'npm', ['run', '-s', 'build']);

fs.rmSync(`${out}/vitest.json`, { force: true });
const vitestOk = run('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}/vitest.json`]);
const v = readJson(`${out}/vitest.json`);
if (v) {
  passed += v.numPassedTests;
  failed += v.numFailedTests + (vitestOk || v.numFailedTests ? 0 : 1);
} else failed++;

if (fs.existsSync('playwright.config.ts')) {
  fs.rmSync(`${out}/playwright.json`, { force: true });
  const pwOk = run('playwright', 'npx', ['playwright', 'test', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_FILE: `${out}/playwright.json`,
  });
  const p = readJson(`${out}/playwright.json`);
  if (p) {
    passed += p.stats.expected;
    failed += p.stats.unexpected + (p.stats.flaky ?? 0) + (pwOk || p.stats.unexpected ? 0 : 1);
  } else failed++;
}

console.log(`\ntotal time ${Math.round((Date.now() - t0) / 1000)}s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
