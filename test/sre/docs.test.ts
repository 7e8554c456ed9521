/**
 * docs/sre.md's and docs/telemetry.md's examples run: each ```ts block is written out with its
 * imports pointed at the sources, imported, and must finish without throwing; each
 * `console.log(...); // value` must print exactly that value. The SRE YAML blocks parse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSreDocuments } from '../../src/sre/documents.js';
import { describeDocExamples } from '../helpers/doc-examples.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const SUBPATHS: Record<string, string> = {
  'agent-warden/sre': 'src/sre/index.ts',
  'agent-warden/telemetry': 'src/telemetry/index.ts',
  'agent-warden/metrics': 'src/telemetry/metrics-index.ts',
  'agent-warden/store': 'src/store/index.ts',
};

for (const page of ['docs/sre.md', 'docs/telemetry.md']) describeDocExamples(page, SUBPATHS, 2, { exactComments: true });

describe('docs/sre.md SRE documents', () => {
  const doc = readFileSync(join(root, 'docs/sre.md'), 'utf8');
  const yaml = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => /^kind: (SLO|CircuitBreaker|ChaosExperiment)$/m.test(b));
  it('parses each SRE YAML example', () => {
    expect(yaml.length).toBeGreaterThan(0);
    for (const text of yaml) expect(() => parseSreDocuments(text, 'docs/sre.md')).not.toThrow();
  });
});
