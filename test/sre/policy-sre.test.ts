/**
 * SLOs and circuit breakers declared in the policy document itself (`slos:` and `breakers:` beside
 * the rules): checked when the policy loads, with file:line:col like every other policy error, and
 * made into the same runtime as `kind: SLO` and `kind: CircuitBreaker` documents.
 */
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { Governor } from '../../src/enforce/governor.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';
import { policySre } from '../../src/sre/policy-sre.js';
import { createSre } from '../../src/sre/runtime.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: search
rules:
  - name: backup-only-while-primary-is-open
    tools: [search_backup]
    when: "!has(breaker.search) || breaker.search.state != 'open'"
    effect: deny
    reason: The backup is for when the primary is down
  - name: everything-else
    tools: ["*"]
    effect: allow
slos:
  - name: search
    tools: [search]
    objective: 0.9
    window: 1h
    minimumCalls: 5
breakers:
  - name: search
    tools: [search]
    failureThreshold: 2
    coolDown: 30s
`;

function loadError(text: string): string {
  try {
    compilePolicy([{ name: 'p.yaml', text }]);
  } catch (e) {
    if (e instanceof PolicyLoadError) return e.message;
    throw e;
  }
  return 'loaded';
}

describe('slos: and breakers: in a policy document', () => {
  it('loads with the policy and drives the same runtime: a breaker declared beside the rules opens, and the rule reading it sees it', async () => {
    const policy = compilePolicy([{ name: 'p.yaml', text: POLICY }]);
    const declared = policySre([{ name: 'p.yaml', text: POLICY }]);
    expect(declared.slos.map((s) => [s.name, s.objective, s.windowMs])).toEqual([['search', 0.9, 3_600_000]]);
    expect(declared.breakers.map((b) => [b.name, b.failureThreshold, b.coolDownMs])).toEqual([['search', 2, 30_000]]);
    let t = Date.UTC(2026, 11, 7, 10);
    const sre = createSre({ ...declared, now: () => t });
    const governor = new Governor({ policy, agent: { id: 'bot' }, clock: () => new Date(t), monitors: [sre] });
    const search = governor.wrap('search', async (_a: object) => {
      throw new Error('down');
    });
    const backup = governor.wrap('search_backup', async (_a: object) => 'backup hits');
    await expect(backup({})).rejects.toBeInstanceOf(GovernanceDenied);
    for (let i = 0; i < 2; i++) await search({}).catch(() => undefined);
    t += 1000;
    await expect(search({})).rejects.toThrow(/circuit breaker "search" for tool "search" is open after 2 failures in a row/);
    await expect(backup({})).resolves.toBe('backup hits');
  });

  // Each bad entry is a load error at the node that is wrong: [what, the YAML of the section, line:col, message part].
  const BAD: [string, string, string, string][] = [
    ['an unknown key', 'slos:\n  - name: s\n    tools: [x]\n    objective: 0.9\n    objectve: 0.9\n', '5:5', 'Unknown key "objectve"'],
    ['an objective written as a percent', 'slos:\n  - name: s\n    tools: [x]\n    objective: 99\n', '4:16', 'strictly between 0 and 1'],
    ['an objective of exactly 1', 'slos:\n  - name: s\n    tools: [x]\n    objective: 1\n', '4:16', 'strictly between 0 and 1'],
    ['a missing objective', 'slos:\n  - name: s\n    tools: [x]\n', '2:5', 'objective of an SLO is required'],
    ['a window that is not a duration', 'slos:\n  - name: s\n    tools: [x]\n    objective: 0.9\n    window: 30 days\n', '5:13', 'must be a duration'],
    ['an sli that is neither', 'slos:\n  - name: s\n    tools: [x]\n    objective: 0.9\n    sli: { latncy: 5s }\n', '5:10', 'must be "success" or { latency'],
    ['an empty tools list', 'slos:\n  - name: s\n    tools: []\n    objective: 0.9\n', '3:12', 'non-empty list'],
    ['a name rules cannot read', 'slos:\n  - name: "my slo"\n    tools: [x]\n    objective: 0.9\n', '2:11', 'must start with a letter'],
    ['two SLOs of one name', 'slos:\n  - name: s\n    tools: [x]\n    objective: 0.9\n  - name: s\n    tools: [y]\n    objective: 0.9\n', '5:5', 'already declared at line 8'],
    ['a section that is not a list', 'slos: { name: s }\n', '1:7', 'slos must be a list'],
    ['a breaker scope typo', 'breakers:\n  - name: b\n    tools: [x]\n    scope: sharde\n', '4:12', 'must be "tool" or "shared"'],
    ['a breaker failureRate as a percent', 'breakers:\n  - name: b\n    tools: [x]\n    failureRate: 50\n', '4:18', 'at most 1'],
    ['a breaker threshold of zero', 'breakers:\n  - name: b\n    tools: [x]\n    failureThreshold: 0\n', '4:23', 'whole number from 1'],
    ['a breaker with an unknown key', 'breakers:\n  - name: b\n    tools: [x]\n    cooldown: 30s\n', '4:5', 'Did you mean "coolDown"?'],
  ];
  for (const [what, section, where, part] of BAD) {
    it(`refuses ${what} at load, at ${where} of the policy`, () => {
      const head = 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: all\n    effect: allow\n';
      const [line, col] = where.split(':').map(Number) as [number, number];
      const message = loadError(head + section);
      expect(message).toContain(`p.yaml:${line + 6}:${col}:`);
      expect(message).toContain(part);
      expect(() => policySre([{ name: 'p.yaml', text: head + section }])).toThrow(expect.objectContaining({ code: 'ERR_SRE_CONFIG', message: expect.stringContaining(`p.yaml:${line + 6}:${col}:`) }));
    });
  }

  it('a policy without the sections declares no SLO and no breaker', () => {
    expect(policySre([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules: []\n' }])).toEqual({ slos: [], breakers: [] });
  });
});
