/** docs/errors.md lists exactly the codes of src/errors.ts, with the same one-line meaning. */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { DECISION_ERROR_CODES } from '../../src/decision.js';

const DOC = new URL('../../docs/errors.md', import.meta.url);

function expected(): string {
  const rows = (table: Readonly<Record<string, string>>): string =>
    Object.entries(table)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([code, meaning]) => `| \`${code}\` | ${meaning} |`)
      .join('\n');
  return `# Error codes

Warden throws \`WardenError\` (or a subclass) on every public path, and its \`code\` is one of the
codes below; switch on the code, never on the message. Messages say what was wrong, where, and what
to do.

\`\`\`ts
import { WardenError } from 'agent-warden';
try { await loadPolicyFiles(['policy.yaml']); }
catch (e) { if (e instanceof WardenError && e.code === 'ERR_POLICY_LOAD') console.error(e.message); }
\`\`\`

| code | meaning |
|---|---|
${rows(ERROR_CODES)}

## Decision error codes

A decision never throws. What went wrong while deciding is listed in \`decision.errors\`, each with one
of these codes; none of them ever turns into an allow.

| code | meaning |
|---|---|
${rows(DECISION_ERROR_CODES)}
`;
}

describe('docs/errors.md', () => {
  it('lists every error code with the meaning src/errors.ts and src/decision.ts give it', () => {
    const want = expected();
    const have = readFileSync(DOC, 'utf8');
    if (have !== want) {
      const out = join(tmpdir(), 'warden-errors.md');
      writeFileSync(out, want);
      expect.fail(`docs/errors.md is out of date; the current table is in ${out} (cp ${out} docs/errors.md)`);
    }
    expect(have).toBe(want);
  });
});
