import { describe, expect, it } from 'vitest';
import { resolveSecretInputs, substituteEnv } from '../../src/plugin/secretInput.js';

describe('secret inputs of the plugin config', () => {
  it('should substitute ${VAR} as OpenClaw does: upper-case names, $${VAR} escaped, missing ones left visible', () => {
    const missing = new Set<string>();
    const out = substituteEnv({ a: '${HOST}:${PORT}', b: ['$${HOST}', '${lower}'], c: '${GONE}', d: 5 }, { HOST: 'db', PORT: '5432', lower: 'x' }, missing);
    expect(out).toEqual({ a: 'db:5432', b: ['${HOST}', '${lower}'], c: '${GONE}', d: 5 });
    expect([...missing]).toEqual(['GONE']);
  });

  it('should resolve an env SecretRef of the default provider or of a named env provider', () => {
    const ref = { source: 'env', provider: 'default', id: 'PW' };
    expect(resolveSecretInputs({ password: ref, user: 'u' }, { PW: 's3cret' }, 'cfg')).toEqual({ password: 's3cret', user: 'u' });
    const named = { source: 'env', provider: 'mine', id: 'PW' };
    expect(resolveSecretInputs({ connectionString: named }, { PW: 'postgres://x' }, 'cfg', { mine: { source: 'env' } })).toEqual({ connectionString: 'postgres://x' });
  });

  it('should refuse a file, exec or store SecretRef with a sentence naming the key, never a value', () => {
    expect(() => resolveSecretInputs({ password: { source: 'file', provider: 'vault', id: '/pg/pw' } }, {}, 'cfg')).toThrow(
      'cfg.password is a SecretRef file:vault:/pg/pw, which only the OpenClaw gateway resolves',
    );
    expect(() => resolveSecretInputs({ password: { source: 'env', provider: 'default', id: 'NOPE' } }, {}, 'cfg')).toThrow('the environment variable NOPE is not set');
    expect(() => resolveSecretInputs({ password: 42 }, {}, 'cfg')).toThrow('cfg.password must be a string or a SecretRef');
  });
});
