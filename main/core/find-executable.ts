/** Finds a command the way a shell would: a path is taken as is, a bare name is looked up on PATH. */
import fs from 'node:fs/promises';
import path from 'node:path';

async function isExecutable(file: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    // Windows has no execute bit: PATHEXT decides what runs.
    if (platform !== 'win32') await fs.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `command`, or null if nothing executable has that name. */
export async function findExecutable(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<string | null> {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  const hasDir = command.includes('/') || (platform === 'win32' && command.includes('\\'));
  const dirs = hasDir ? [''] : (env.PATH ?? env.Path ?? '').split(p.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const base = dir ? p.join(dir, command) : p.resolve(command);
    for (const ext of exts) {
      if (await isExecutable(base + ext, platform)) return base + ext;
    }
  }
  return null;
}
