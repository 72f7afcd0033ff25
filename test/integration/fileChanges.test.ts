import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFileChangeSource, type FileChange } from '../../src/streams/fileChanges.js';
import { waitFor } from '../support/pipelineHarness.js';

/** The drift source on real files: what another writer does is reported, what this process writes is not. */
describe('makeFileChangeSource', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  it('can report the same edit again when another writer repeats it right after this process repaired the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-file-changes-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'agents.json');
    const ours = '{"agents":{"ours":true}}\n';
    const theirs = '{"agents":{"theirs":true}}\n';
    fs.writeFileSync(file, ours);
    const seen: FileChange[] = [];
    const subscription = makeFileChangeSource(file, { isOwn: (text) => text === ours, pollMs: 50 }).subscribe((c) => seen.push(c));
    cleanups.push(() => subscription.unsubscribe());

    fs.writeFileSync(file, theirs);
    await waitFor('their edit reported', () => seen.length === 1, 2_000);

    // Our repair lands and the other writer applies its edit again before the watch callback (or
    // the poll, on a file system where inotify is silent) got to read the file in between.
    fs.writeFileSync(file, ours);
    fs.writeFileSync(file, theirs);
    await waitFor('their repeated edit reported', () => seen.length === 2, 2_000);
    expect(seen.map((c) => c.text)).toEqual([theirs, theirs]);
  });

  it('can report one edit by another writer once, however many watch events and polls see it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-file-changes-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'agents.json');
    const ours = '{"agents":{"ours":true}}\n';
    fs.writeFileSync(file, ours);
    const seen: FileChange[] = [];
    const subscription = makeFileChangeSource(file, { isOwn: (text) => text === ours, pollMs: 20 }).subscribe((c) => seen.push(c));
    cleanups.push(() => subscription.unsubscribe());

    fs.writeFileSync(file, '{"agents":{"theirs":1}}\n');
    await waitFor('their edit reported', () => seen.length === 1, 2_000);
    await new Promise((r) => setTimeout(r, 300)); // fifteen polls
    expect(seen.length).toBe(1);
  });
});
