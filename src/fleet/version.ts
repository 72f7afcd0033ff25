import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** This package's version (package.json at the package root, beside both src/ and dist/), or "unknown". */
export const PLUGIN_VERSION: string = (() => {
  try {
    const manifest = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
