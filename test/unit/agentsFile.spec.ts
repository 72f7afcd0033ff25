import { describe, expect, it } from 'vitest';
import { classifyAgentsFile } from '../../src/domain/agentsFile.js';

describe('classifyAgentsFile', () => {
  const agentsFiles: [string, string][] = [
    ['an empty file', ''],
    ['a file of whitespace', '\n  \n'],
    ['the root layout', '{"agents": {"entries": {"main": {"model": "m"}}}}\n'],
    ['the root layout with an empty section', '{"agents": {}}'],
    ['the section layout (entries form)', '{"defaults": {}, "ownership": "explicit", "entries": {}}'],
    ['the section layout (list form)', '{"list": [{"id": "main", "default": true}]}'],
    ['an empty object', '{}'],
    ['JSON5 with comments and trailing commas', '// by hand\n{ agents: { list: [], }, }\n'],
  ];
  for (const [name, text] of agentsFiles) {
    it(`can accept ${name}`, () => {
      expect(classifyAgentsFile(text).agentsFile).toBe(true);
    });
  }

  const others: [string, string, string][] = [
    ['openclaw.json (agents beside gateway settings)', '{"gateway": {"mode": "local"}, "agents": {"list": []}, "$include": "./x.json"}', 'keys an agents file never has ("gateway", "$include")'],
    ['a file that is not JSON', 'agents=3\n', 'not JSON'],
    ['a JSON array', '[{"id": "main"}]', 'an array, not an object'],
    ['a JSON string', '"agents"', 'a string, not an object'],
    ['null', 'null', 'null, not an object'],
    ['an "agents" that is not an object', '{"agents": []}', '"agents" is not an object'],
    ['a section with a foreign key', '{"defaults": {}, "models": {}}', '("models")'],
    ['a root "agents" mixed with section keys', '{"agents": {}, "defaults": {}}', 'mixes "agents" with agent-section keys'],
    ['a file with many foreign keys', '{"a": 1, "b": 2, "c": 3, "d": 4}', '("a", "b", "c", …)'],
  ];
  for (const [name, text, why] of others) {
    it(`can refuse ${name}`, () => {
      const verdict = classifyAgentsFile(text);
      expect(verdict.agentsFile).toBe(false);
      if (!verdict.agentsFile) expect(verdict.why).toContain(why);
    });
  }
});
