#!/usr/bin/env node
// `npm run dist [-- electron-builder target args]`: packages the desktop app without touching the
// development tree's native build. Why this way, and not electron-builder's own rebuild, is written
// at the top of electron-builder.yml. Steps:
//   1. build (vite + tsc) in the project;
//   2. stage the app in .stage/app: a production package.json, dist/, the tray icons and a copy of
//      the production node_modules (the dev tree's node_modules is only read);
//   3. rebuild better-sqlite3 in the staged copy for Electron with @electron/rebuild, then check the
//      binary really has Electron's ABI (a wrong nodedir silently builds for Node instead);
//   4. run electron-builder on the staged copy (its own rebuild is off);
//   5. check the dev tree still loads better-sqlite3 under Node.
// `npm run dist -- --check` stops after staging: it validates electron-builder.yml against
// electron-builder's schema and lists what would be packaged. That part needs no network.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stage = path.join(root, '.stage', 'app');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const check = args.includes('--check');
const builderArgs = args.filter((a) => a !== '--check');

function run(cmd, cmdArgs, options = {}) {
  console.log(`$ ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed (${r.status ?? r.signal})`);
}

function fail(message) {
  throw new Error(message);
}

/** Top-level node_modules folders of every production dependency, from npm's own tree. */
function productionPackages() {
  const r = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) fail(`npm ls failed:\n${r.stderr}`);
  const tops = new Set();
  for (const line of r.stdout.split('\n')) {
    const rel = path.relative(root, line.trim());
    const m = /^node_modules[\\/](@[^\\/]+[\\/][^\\/]+|[^\\/]+)/.exec(rel);
    if (m) tops.add(m[0]);
  }
  return [...tops].sort();
}

function stageApp() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  fs.rmSync(path.join(root, '.stage'), { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  const appPkg = {
    name: pkg.name,
    productName: 'foreman',
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    type: pkg.type,
    main: pkg.main,
    dependencies: pkg.dependencies,
  };
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(appPkg, null, 2)}\n`);
  const skip = (src) => !/\.test\.(js|js\.map|d\.ts)$/.test(src) && !src.includes(`${path.sep}test-support`);
  fs.cpSync(path.join(root, 'dist', 'main'), path.join(stage, 'dist', 'main'), { recursive: true, filter: skip });
  fs.cpSync(path.join(root, 'dist', 'renderer'), path.join(stage, 'dist', 'renderer'), { recursive: true });
  fs.cpSync(path.join(root, 'main', 'shell', 'icons'), path.join(stage, 'main', 'shell', 'icons'), {
    recursive: true,
    filter: (s) => !s.endsWith('.mjs'),
  });
  const packages = productionPackages();
  for (const p of packages) fs.cpSync(path.join(root, p), path.join(stage, p), { recursive: true, dereference: true });
  // The Node build must not survive into the app: the rebuild writes a fresh one.
  fs.rmSync(path.join(stage, 'node_modules', 'better-sqlite3', 'build'), { recursive: true, force: true });
  console.log(`staged ${packages.length} production packages in ${path.relative(root, stage)}`);
  return packages;
}

async function validateConfig() {
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js');
  const { DebugLogger } = require('builder-util');
  const config = await getConfig(root, path.join(root, 'electron-builder.yml'), null);
  await validateConfiguration(config, new DebugLogger(false));
  console.log(
    `electron-builder.yml is valid for electron-builder ${require('app-builder-lib/package.json').version}: ` +
      `${['linux', 'mac', 'win'].map((os) => `${os} ${JSON.stringify(config[os]?.target)}`).join(', ')}`,
  );
  return config;
}

async function rebuildForElectron(electronVersion) {
  const { rebuild } = await import('@electron/rebuild');
  // npm passes the user's `nodedir` (here /usr, for Node's headers) to child processes; node-gyp would
  // then build against Node's headers while claiming Electron as the target.
  for (const key of Object.keys(process.env))
    if (/^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i.test(key)) delete process.env[key];
  console.log(`rebuilding better-sqlite3 for Electron ${electronVersion} in ${path.relative(root, stage)}`);
  await rebuild({
    buildPath: stage,
    electronVersion,
    onlyModules: ['better-sqlite3'],
    force: true,
    buildFromSource: true,
    mode: 'sequential',
  });
}

/** A V8-API addon exports `node_register_module_v<ABI>`; it must be Electron's ABI, not Node's. */
function checkAbi(abi) {
  const dir = path.join(stage, 'node_modules', 'better-sqlite3', 'build', 'Release');
  const file = path.join(dir, 'better_sqlite3.node');
  if (!fs.existsSync(file)) fail(`no ${path.relative(root, file)} after the rebuild`);
  const bytes = fs.readFileSync(file).toString('latin1');
  const found = [...new Set(bytes.match(/node_register_module_v\d+/g) ?? [])];
  if (!found.includes(`node_register_module_v${abi}`))
    fail(`better-sqlite3 was built for ${found.join(', ') || 'no known ABI'}, not Electron's ABI ${abi}`);
  console.log(`better-sqlite3 in the app has Electron's ABI ${abi}`);
}

function checkDevTree() {
  const r = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) fail(`the development tree no longer loads better-sqlite3 under Node:\n${r.stderr}`);
  console.log(`the development tree still loads better-sqlite3 under Node ${process.version}`);
}

const electronPkg = require('electron/package.json');
const abi = fs.readFileSync(path.join(path.dirname(require.resolve('electron/package.json')), 'abi_version'), 'utf8').trim();

async function main() {
  run('npm', ['run', '-s', 'build']);
  const config = await validateConfig();
  if (config.electronVersion !== electronPkg.version)
    fail(`electron-builder.yml says Electron ${config.electronVersion}, node_modules has ${electronPkg.version}`);
  stageApp();
  if (check) {
    checkDevTree();
    console.log('--check: staged and validated; not rebuilding or packaging');
    return;
  }
  try {
    try {
      await rebuildForElectron(electronPkg.version);
    } catch (err) {
      fail(`rebuilding better-sqlite3 for Electron failed (node-gyp needs Electron's headers from electronjs.org): ${err.message}`);
    }
    checkAbi(abi);
    run(process.execPath, [
      require.resolve('electron-builder/cli.js'),
      '--config',
      'electron-builder.yml',
      '--publish',
      'never',
      ...builderArgs,
    ]);
  } finally {
    checkDevTree();
  }
}

main().catch((err) => {
  console.error(`dist: ${err.message}`);
  process.exitCode = 1;
});
