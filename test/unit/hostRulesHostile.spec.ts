import { describe, expect, it } from 'vitest';
import { checkForHost } from '../../src/domain/hostRules.js';

/** checkForHost reads a file's text: its reasons name keys and ids from that text, escaped onto one line. */
describe('checkForHost on a hostile text', () => {
  it('can name keys and ids with a newline or an ANSI escape without splitting the line', () => {
    const text = JSON.stringify({
      agents: {
        'x\ny': 1,
        entries: { 'evil\n\u001b[31m': { model: 'm', 'k\u2028': 1 } },
        ownership: 'explicit',
        defaults: { subagents: { 'z\r': 0 } },
      },
    });
    const reasons = checkForHost(text, 'entries', 'root');
    expect(reasons).toEqual([
      'agents["x\\ny"] is not accepted by a host that reads the entries roster',
      'agents.defaults.subagents["z\\r"] is not accepted by this host',
      'agents.entries["evil\\n\\u001b[31m"]: id "evil\\n\\u001b[31m" is not a valid agent id',
      'agents.entries["evil\\n\\u001b[31m"]["k\\u2028"] is not an accepted key',
    ]);
  });
});
