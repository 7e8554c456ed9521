/**
 * docs/compliance.md runs its examples and shows the catalogs exactly as src/compliance has them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogMarkdown } from '../../src/compliance/render.js';
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/compliance.md', { 'agent-warden/compliance': 'src/compliance/index.ts' }, 1);

describe('docs/compliance.md', () => {
  it('holds the control tables of the catalogs, as generated (catalogMarkdown)', () => {
    const doc = readFileSync(new URL('../../docs/compliance.md', import.meta.url), 'utf8');
    expect(doc).toContain(catalogMarkdown());
  });
});
