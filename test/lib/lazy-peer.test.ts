/**
 * src/lib/lazy-peer.ts: an optional peer loaded on first use is the instance the application
 * imports (the ES build, not the CommonJS one), and a peer that cannot be loaded is
 * ERR_MISSING_DEPENDENCY on every ask, so nothing that needs it runs. What each subpath leaves
 * unloaded at import is tested on the built package (test/cli/lazy-loading.test.ts).
 */
import { describe, expect, it } from 'vitest';
import * as tools from '@langchain/core/tools';
import * as messages from '@langchain/core/messages';
import { lazyPeer, loadPeer } from '../../src/lib/lazy-peer.js';
import { WardenError } from '../../src/errors.js';
import { langchainMessages, langchainTools } from '../../src/integrations/langchain/core.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('lazyPeer', () => {
  it('gives the same module instance an import gives (class identity holds)', () => {
    expect(lazyPeer<typeof tools>('@langchain/core/tools', '@langchain/core')().DynamicTool).toBe(tools.DynamicTool);
    expect(langchainTools().Tool).toBe(tools.Tool);
    expect(langchainMessages().ToolMessage).toBe(messages.ToolMessage);
    expect(loadPeer('@langchain/core/messages', '@langchain/core')).toBe(langchainMessages());
  });

  it.each([
    ['a package that is not installed', 'no-such-package-for-warden-tests'],
    ['a subpath the package does not export', '@langchain/core/no-such-subpath'],
    ['a relative path', './no-such-file.js'],
    ['an empty specifier', ''],
  ])('throws ERR_MISSING_DEPENDENCY for %s, on every call', (_what, specifier) => {
    const missing = lazyPeer<object>(specifier, 'the-package');
    for (let i = 0; i < 2; i++) {
      const e = thrown(missing);
      expect(e).toBeInstanceOf(WardenError);
      expect((e as WardenError).code).toBe('ERR_MISSING_DEPENDENCY');
      expect((e as WardenError).message).toContain('npm install the-package');
    }
  });

  it('says the caller\'s own sentence for a package that is not installed, and the real error for one that fails otherwise', () => {
    const sentence = 'The X adapter needs the optional package no-such-package-for-warden-tests. Install it beside agent-warden: npm install it';
    const absent = thrown(lazyPeer<object>('no-such-package-for-warden-tests', 'it', sentence)) as WardenError;
    expect([absent.code, absent.message]).toEqual(['ERR_MISSING_DEPENDENCY', sentence]);
    // An installed package without that subpath is not a missing package: the loader's own reason is kept.
    const other = thrown(lazyPeer<object>('@langchain/core/no-such-subpath', 'it', sentence)) as WardenError;
    expect(other.code).toBe('ERR_MISSING_DEPENDENCY');
    expect(other.message).not.toBe(sentence);
  });
});
