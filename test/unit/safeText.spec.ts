import { describe, expect, it } from 'vitest';
import { escapeForLog, quote } from '../../src/domain/safeText.js';

/** What quote() means: the JSON string of the (cut) text, with what a log reader acts on escaped. */
const slow = (text: string, max = 80) => escapeForLog(JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text));

describe('quote', () => {
  it('should give every single UTF-16 code unit as the JSON-and-escape definition does', () => {
    for (let c = 0; c <= 0xffff; c += 1) {
      const text = `a${String.fromCharCode(c)}b`;
      expect(quote(text)).toBe(slow(text));
    }
  });

  it('should cut, quote and escape long and hostile texts as the definition does', () => {
    const texts = ['', 'agent-1', 'x'.repeat(80), 'x'.repeat(81), 'a"b', 'a\\b', 'line\nbreak', '\u001b[31mred', 'é', '\u2028', 'tab\there', '~'.repeat(200)];
    for (const text of texts) {
      expect(quote(text)).toBe(slow(text));
      expect(quote(text, 5)).toBe(slow(text, 5));
    }
  });
});
