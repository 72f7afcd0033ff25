import { parseConnectionString } from '../connection.js';

/**
 * Rewrites this process's command line as `ps` shows it when `--database-url` carries a password:
 * the value becomes `***`. On Linux, Node's `process.title` overwrites the memory behind
 * /proc/<pid>/cmdline (checked: `ps` and /proc show the new title, the rest zero-filled); elsewhere
 * it may change only what some tools show. The password stays visible from exec until this call,
 * and in the parent's command line (a shell, npm): `--database-url-file` avoids both.
 * Returns true when it set a title.
 */
export function hideDatabaseUrlFromPs(argv: readonly string[]): boolean {
  let hidden = false;
  const shown = argv.map((arg, i) => {
    const inline = arg.startsWith('--database-url=') ? arg.slice('--database-url='.length) : undefined;
    const value = inline ?? (argv[i - 1] === '--database-url' ? arg : undefined);
    if (value === undefined || !carriesPassword(value)) return arg;
    hidden = true;
    return inline === undefined ? '***' : '--database-url=***';
  });
  if (hidden) process.title = ['agent-config-sync', ...shown].join(' ');
  return hidden;
}

function carriesPassword(url: string): boolean {
  try {
    return parseConnectionString(url, '--database-url').hasPassword;
  } catch {
    // A URL the CLI refuses may still hold a password: hide it anyway.
    return true;
  }
}
