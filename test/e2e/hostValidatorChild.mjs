// Run by hostValidator.e2e.ts under the hosts' Node (24): the host's validator needs it (2026.8.2 loads node:sqlite).
// Usage: node hostValidatorChild.mjs PACKAGE_ROOT VERSION OPTIONS_JSON → prints {sliced, oneCall} as JSON.
import { renderSnapshot } from '../../dist/domain/render.js';
import { parseHostVersion } from '../../dist/domain/hostProfile.js';
import { loadInProcessChecker } from '../../dist/hostCheck/inProcess.js';

const [root, version, optionsJson] = process.argv.slice(2);
const options = { ...JSON.parse(optionsJson), version: parseHostVersion(version) };
const big = {
  agents: [
    { id: 1, name: 'main', model: 'x/y', is_default: true },
    ...Array.from({ length: 300 }, (_, i) => ({ id: i + 2, name: `a${String(i).padStart(3, '0')}`, model: 'x/y', is_default: false })),
  ],
  systemConfig: [],
  columns: ['id', 'is_default'],
};
const sliced = await loadInProcessChecker(root, `OpenClaw ${version}`);
const whole = await loadInProcessChecker(root, `OpenClaw ${version}`, 100_000);
if (!sliced.ok || !whole.ok) throw new Error(`validator not loaded: ${sliced.ok ? '' : sliced.error} ${whole.ok ? '' : whole.error}`);
const agents = JSON.parse(renderSnapshot(big, options).text).agents;
const signal = new AbortController().signal;
process.stdout.write(JSON.stringify({ how: sliced.checker.how, sliced: await sliced.checker.validate({ agents }, signal), oneCall: await whole.checker.validate({ agents }, signal) }));
