import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { cedarBackend } from '../../src/backends/cedar.js';
import { regoBackend } from '../../src/backends/rego.js';
import { loadSqlParsers, type SqlParsers } from '../../src/facets/sql.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { PolicyBackends } from '../../src/policy/backend.js';
import { parseMcpConfig } from '../../src/integrations/mcp/config-file.js';

const root = join(import.meta.dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

/** Every ```yaml block that is a whole warden/v1 policy. */
function policyBlocks(file: string): Array<{ file: string; line: number; text: string }> {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ file: string; line: number; text: string }> = [];
  const re = /```yaml[^\n]*\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[1] ?? '';
    // SRE documents (kind: SLO, CircuitBreaker, ChaosExperiment) are checked by test/sre/docs.test.ts.
    if (body.includes('apiVersion: warden/v1') && !/^kind: (SLO|CircuitBreaker|ChaosExperiment)$/m.test(body)) out.push({ file, line: text.slice(0, m.index).split('\n').length, text: body });
  }
  return out;
}

describe('documentation', () => {
  it('opens the README with the two commands a fresh clone runs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock.trim().split('\n')).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });

  const blocks = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))].flatMap(policyBlocks);

  it('has policy examples to check', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  let sqlParsers: SqlParsers;
  // Examples in Cedar and Rego compile with the real engines (Rego needs the opa binary .ci/run installs).
  const opa = findOpa();
  if (!opa.ok && process.env.CI) throw new Error(opa.reason);
  const backends: PolicyBackends = {};
  beforeAll(async () => {
    sqlParsers = await loadSqlParsers();
    backends.cedar = await cedarBackend();
    if (opa.ok) backends.rego = await regoBackend({ opa: opa.path });
  });

  const policies = blocks.filter((b) => !b.text.includes('kind: McpGateway'));
  const gatewayConfigs = blocks.filter((b) => b.text.includes('kind: McpGateway'));

  it.for(policies.map((b) => [`${b.file.slice(root.length + 1)}:${b.line}`, b] as const))('compiles the policy example at %s', ([, block], ctx) => {
    if (!opa.ok && block.text.includes('kind: RegoPolicy')) return ctx.skip(`a Rego example: ${opa.reason}`);
    expect(() => compilePolicy([{ name: 'doc', text: block.text }], { sqlParsers, backends })).not.toThrow();
  });

  it.each(gatewayConfigs.map((b) => [`${b.file.slice(root.length + 1)}:${b.line}`, b] as const))('reads the MCP gateway configuration example at %s', (_where, block) => {
    // Environment variables the examples name are given placeholder values.
    const env = Object.fromEntries([...block.text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => [m[1] as string, 'placeholder']));
    expect(() => parseMcpConfig(block.text, '/docs/warden.mcp.yaml', env)).not.toThrow();
  });
});
