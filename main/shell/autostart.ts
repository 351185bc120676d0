/**
 * "Launch at login" on Linux, where Electron's `setLoginItemSettings` does nothing: an XDG autostart
 * entry (`~/.config/autostart/foreman.desktop`) that starts the app hidden in the tray.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface LoginItem {
  get(): boolean;
  set(on: boolean): void;
}

/** One argument of a desktop entry's Exec key (Desktop Entry Specification, "The Exec key"). */
export function quoteExecArg(arg: string): string {
  const escaped = arg.replace(/%/g, '%%');
  if (!/[\s"'\\><~|&;$*?#()`]/.test(escaped)) return escaped;
  // Quoted-argument escapes, then the string-level escaping of backslashes.
  return `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`.replace(/\\/g, '\\\\');
}

export function desktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=foreman',
    'Comment=The queue in front of your local Ollama',
    `Exec=${[...command, '--hidden'].map(quoteExecArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * @param configHome `$XDG_CONFIG_HOME`, else `~/.config`
 * @param command how to start this app: the AppImage (`$APPIMAGE`), the installed binary, or
 *   `electron <app dir>` in development
 */
export function linuxAutostart(configHome: string, command: readonly string[]): LoginItem {
  const file = path.join(configHome, 'autostart', 'foreman.desktop');
  return {
    get: () => fs.existsSync(file),
    set(on) {
      if (!on) return fs.rmSync(file, { force: true });
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, desktopEntry(command));
    },
  };
}
