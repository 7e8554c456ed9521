import { describe, expect, it } from 'vitest';
import { compilePolicy, PolicyLoadError } from '../../src/policy/index.js';
import { Governor } from '../../src/enforce/governor.js';
import { govern } from '../../src/enforce/govern.js';

const doc = (rules: object[]) => ({ apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules });

function loadIssues(when: string): string[] {
  try {
    compilePolicy([{ name: 'p', document: doc([{ name: 'r', effect: 'deny', when }]) }]);
    return [];
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) throw e;
    return e.issues.map((i) => i.code);
  }
}

describe('condition cost checks', () => {
  it.each([
    ['"in" over another request list inside a loop', 'args.a.exists(x, x in args.b)'],
    ['a nested loop whose range mixes the loop variable with other request data', "args.xs.exists(x, (x == x ? args.ys : []).exists(y, y == x))"],
    ['a nested loop over unrelated request data', 'args.a.exists(x, args.b.exists(y, x == y))'],
    ['a nested loop over a literal list that holds request data', 'args.a.exists(x, [args.b].exists(y, x == y))'],
  ])('refuses %s at load (cel_cost)', (_name, when) => {
    expect(loadIssues(when)).toEqual(['cel_cost']);
  });

  it.each([
    ['a loop over an element field', "args.items.exists(i, i.tags.exists(t, t == 'x'))"],
    ['"in" over a literal list inside a loop', "args.items.exists(i, i in ['a', 'b'])"],
    ['a scalar comparison with request data inside a loop', 'args.items.all(i, i.owner == agent.id)'],
    ['a nested loop over a literal list of the policy', "args.items.exists(i, ['a', 'b'].exists(p, i.startsWith(p)))"],
  ])('accepts %s', (_name, when) => {
    expect(loadIssues(when)).toEqual([]);
  });
});

describe('request hardening', () => {
  const set = compilePolicy([{ name: 'p', document: doc([{ name: 'ok', effect: 'allow' }]) }]);

  it('reads a getter in args exactly once and decides on that value', () => {
    let reads = 0;
    const args = Object.defineProperty({}, 'path', { get: () => (reads++ === 0 ? '/tmp/x' : '/etc/passwd'), enumerable: true });
    const gated = compilePolicy([{ name: 'p', document: doc([{ name: 'no-etc', effect: 'deny', when: "args.path.startsWith('/etc/')" }, { name: 'ok', effect: 'allow' }]) }]);
    expect(gated.decide({ tool: 't', args })).toMatchObject({ effect: 'allow', rule: 'ok' });
    expect(reads).toBe(1);
  });

  it('the Governor decides on the canonical snapshot, so a shifting getter runs only with what was decided', async () => {
    const gated = compilePolicy([{ name: 'p', document: doc([{ name: 'no-etc', effect: 'deny', when: "args.path.startsWith('/etc/')" }, { name: 'ok', effect: 'allow' }]) }]);
    const governor = new Governor({ policy: gated });
    const seen: string[] = [];
    const write = govern(async (a: { path: string }) => seen.push(a.path), { tool: 't', governor });
    let reads = 0;
    const args = Object.defineProperty({}, 'path', { get: () => (reads++ % 2 === 0 ? '/tmp/x' : '/etc/passwd'), enumerable: true }) as { path: string };
    await write(args).catch(() => undefined);
    expect(seen.filter((p) => p.startsWith('/etc/'))).toEqual([]);
  });

  it.each([
    ['a lone high surrogate in a value', { s: 'a\ud800b' }],
    ['a lone low surrogate in a value', { s: '\udc00' }],
    ['a lone surrogate in a key', { ['k\ud800']: 1 }],
  ])('refuses %s as invalid_request', (_name, args) => {
    expect(set.decide({ tool: 't', args })).toMatchObject({ effect: 'deny', reason: 'invalid_request' });
  });

  it('accepts a well-formed surrogate pair', () => {
    expect(set.decide({ tool: 't', args: { s: '😀' } })).toMatchObject({ effect: 'allow', rule: 'ok' });
  });

  it('treats null options like no options', () => {
    const c = compilePolicy([{ name: 'p', document: doc([{ name: 'ok', effect: 'allow', when: "tool == 't'" }]) }]);
    expect(c.decide({ tool: 't', args: {} }, null)).toMatchObject({ effect: 'allow' });
  });
});

describe('compilePolicy input', () => {
  it.each([
    ['null', null],
    ['a source with a numeric text', [{ name: 'x', text: 5 }]],
    ['a source without a name', [{ text: 'a: 1' }]],
  ])('reports %s as a PolicyLoadError (bad_sources)', (_name, input) => {
    let err: unknown;
    try {
      compilePolicy(input as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as PolicyLoadError).issues.map((i) => i.code)).toContain('bad_sources');
  });

  it('warns when a require_approval rule names no approvers', () => {
    const s = compilePolicy([{ name: 'p', document: doc([{ name: 'gate', effect: 'require_approval' }]) }]);
    expect(s.warnings.map((w) => w.code)).toEqual(['no_approvers']);
  });
});
