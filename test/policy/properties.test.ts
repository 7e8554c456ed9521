/**
 * Laws of the decision function, checked with generated policies and requests (fast-check).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compilePolicy, type Decision, type Effect, type PolicySet, type PolicySource } from '../../src/policy/index.js';

const TOOLS = ['read', 'write', 'send'] as const;
const REQUEST_TOOLS = [...TOOLS, 'other', 'rw'] as const;
const CONDITIONS = [
  'args.a > 1',
  'args.a == 2',
  'args.a <= 1.5',
  'args.b == true',
  'has(args.a)',
  'has(args.b) && args.b == true',
  "args.c == 'x'",
  'args.a > 1 || args.b == true',
  '!(args.a == 0)',
  "args.c.startsWith('x')",
  'args.b',
  "'admin' in agent.roles",
  "context.env == 'prod'",
  "has(context.env) && context.env == 'dev'",
  "glob(tool, 'r*')",
] as const;
const EFFECTS = ['allow', 'deny', 'require_approval', 'warn'] as const;
const RANK: Record<Effect, number> = { deny: 0, require_approval: 1, warn: 2, allow: 3 };

interface GenRule {
  effect: Effect;
  tools?: string[];
  when?: string;
  unless?: string;
}
interface GenDoc {
  default?: 'allow' | 'deny';
  rules: GenRule[];
}

const toolsArb: fc.Arbitrary<string[] | undefined> = fc.option(
  fc.oneof(fc.subarray<string>([...TOOLS], { minLength: 1 }), fc.constant<string[]>(['*']), fc.constant<string[]>(['r*', 'w?ite'])),
  { nil: undefined },
);
const conditionArb = fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined });
const ruleArb = (effect: fc.Arbitrary<Effect>): fc.Arbitrary<GenRule> =>
  fc.record({ effect, tools: toolsArb, when: conditionArb, unless: conditionArb }).map((r) => {
    const out: GenRule = { effect: r.effect };
    if (r.tools !== undefined) out.tools = r.tools;
    if (r.when !== undefined) out.when = r.when;
    if (r.unless !== undefined) out.unless = r.unless;
    return out;
  });
const anyRuleArb = ruleArb(fc.constantFrom(...EFFECTS));
const docArb: fc.Arbitrary<GenDoc> = fc
  .record({ default: fc.option(fc.constantFrom('allow' as const, 'deny' as const), { nil: undefined }), rules: fc.array(anyRuleArb, { maxLength: 6 }) })
  .map((d) => (d.default === undefined ? { rules: d.rules } : { default: d.default, rules: d.rules }));
const docsArb = fc.array(docArb, { minLength: 1, maxLength: 3 });

const valueArb = fc.oneof(
  fc.integer({ min: -1, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constantFrom('x', 'xy', 'admin', ''),
  fc.constant(null),
);
const requestArb = fc.record(
  {
    tool: fc.constantFrom(...REQUEST_TOOLS),
    args: fc.record({ a: valueArb, b: valueArb, c: valueArb }, { requiredKeys: [] }),
    agent: fc.record({ id: fc.constantFrom('a', 'b'), roles: fc.subarray(['admin', 'dev']) }),
    context: fc.record({ env: fc.constantFrom('prod', 'dev') }, { requiredKeys: [] }),
  },
  { requiredKeys: ['tool', 'args'] },
);

/** Where to add one rule: into document `doc` at `at`, or as a new document when doc is -1. */
const placementArb = fc.record({ doc: fc.integer({ min: -1, max: 2 }), at: fc.nat({ max: 6 }), newDefault: fc.constantFrom('allow' as const, 'deny' as const) });

function sources(docs: GenDoc[]): PolicySource[] {
  return docs.map((d, i) => ({
    name: `d${i}.json`,
    document: {
      apiVersion: 'warden/v1',
      kind: 'Policy',
      name: `d${i}`,
      ...(d.default ? { default: d.default } : {}),
      rules: d.rules.map((r, j) => ({ name: `r${i}_${j}`, ...r, ...(r.effect === 'require_approval' ? { approvers: ['sec'] } : {}) })),
    },
  }));
}

function build(docs: GenDoc[]): PolicySet {
  return compilePolicy(sources(docs));
}

/** The documents with `extra` added where `placement` says; the added rule is named `extra`. */
function withRule(docs: GenDoc[], extra: GenRule, placement: { doc: number; at: number; newDefault: 'allow' | 'deny' }): PolicySource[] {
  const base = sources(docs);
  const named = { name: 'extra', ...extra, ...(extra.effect === 'require_approval' ? { approvers: ['sec'] } : {}) };
  if (placement.doc < 0 || placement.doc >= docs.length) {
    return [...base, { name: 'extra.json', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'extra-doc', default: placement.newDefault, rules: [named] } }];
  }
  return base.map((s, i) => {
    if (i !== placement.doc || !('document' in s)) return s;
    const doc = s.document as { rules: unknown[] };
    const rules = [...doc.rules];
    rules.splice(Math.min(placement.at, rules.length), 0, named);
    return { ...s, document: { ...doc, rules } };
  });
}

const RUNS = { numRuns: 200 };

describe('decision laws (fast-check)', () => {
  it('the same request always gets the same decision (repeated, cloned, and from a fresh compile)', () => {
    fc.assert(
      fc.property(docsArb, requestArb, (docs, request) => {
        const s = build(docs);
        const first = s.decide(request);
        expect(s.decide(request)).toEqual(first);
        expect(s.decide(structuredClone(request))).toEqual(first);
        expect(build(docs).decide(request)).toEqual(first);
      }),
      RUNS,
    );
  });

  it('adding a deny rule never turns a deny into an allow (the effect stays or becomes deny)', () => {
    fc.assert(
      fc.property(docsArb, ruleArb(fc.constant('deny' as const)), placementArb, requestArb, (docs, extra, placement, request) => {
        const before = build(docs).decide(request);
        const after = compilePolicy(withRule(docs, extra, placement)).decide(request);
        expect([before.effect, 'deny']).toContain(after.effect);
        if (before.effect === 'deny') expect(after.effect).toBe('deny');
        if (!before.allowed) expect(after.allowed).toBe(false);
      }),
      RUNS,
    );
  });

  it('adding an allow (or warn) rule never turns a rule-made deny or require_approval into an allow', () => {
    fc.assert(
      fc.property(docsArb, ruleArb(fc.constantFrom('allow' as const, 'warn' as const)), placementArb, requestArb, (docs, extra, placement, request) => {
        const before = build(docs).decide(request);
        const after = compilePolicy(withRule(docs, extra, placement)).decide(request);
        if (before.rule !== null && (before.effect === 'deny' || before.effect === 'require_approval')) {
          expect(after.effect).toBe(before.effect);
          expect(after.rule).toBe(before.rule);
          expect(after.allowed).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('an evaluation error never yields allow from a deny rule (nor from a require_approval rule)', () => {
    fc.assert(
      fc.property(docsArb, requestArb, (docs, request) => {
        const s = build(docs);
        const d = s.decide(request);
        const effectOf = new Map(s.rules.map((r) => [r.name, r.effect]));
        for (const e of d.errors) {
          expect(e.code).toBe('condition_error');
          const effect = effectOf.get(e.rule ?? '');
          if (effect === 'deny') expect(d.effect).toBe('deny');
          if (effect === 'require_approval') expect(['deny', 'require_approval']).toContain(d.effect);
        }
      }),
      RUNS,
    );
  });

  it('decide() is the deny-overrides composition of the per-rule outcomes explain() reports', () => {
    fc.assert(
      fc.property(docsArb, requestArb, (docs, request) => {
        const s = build(docs);
        const e = s.explain(request);
        const applied = e.rules.filter((r) => r.status === 'matched' || (r.status === 'error' && r.appliedOnError === true));
        const expected: Pick<Decision, 'effect' | 'rule'> =
          applied.length > 0
            ? (() => {
                const best = Math.min(...applied.map((r) => RANK[r.effect]));
                const winner = applied.find((r) => RANK[r.effect] === best);
                return { effect: winner?.effect as Effect, rule: winner?.rule ?? null };
              })()
            : { effect: s.policies.every((p) => p.default === 'allow') ? 'allow' : 'deny', rule: null };
        expect({ effect: e.decision.effect, rule: e.decision.rule }).toEqual(expected);
        expect(e.decision.allowed).toBe(expected.effect === 'allow' || expected.effect === 'warn');
      }),
      RUNS,
    );
  });

  const permissive = compilePolicy([{ name: 'open', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'open', default: 'allow', rules: [{ name: 'all', effect: 'allow', when: 'args.size() >= 0' }] } }]);
  const anythingArb = fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  });

  it('decide() never throws on arbitrary values, and a non-object is invalid_request', () => {
    fc.assert(
      fc.property(anythingArb, (value) => {
        let d: Decision | undefined;
        expect(() => {
          d = permissive.decide(value);
        }).not.toThrow();
        expect(EFFECTS).toContain(d?.effect);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          expect(d).toMatchObject({ effect: 'deny', reason: 'invalid_request', errors: [{ code: 'invalid_request' }] });
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('decide() never throws on a request with arbitrary tool, args, agent and context', () => {
    fc.assert(
      fc.property(
        fc.record({ tool: fc.oneof(fc.string(), anythingArb), args: anythingArb, agent: anythingArb, context: anythingArb }, { requiredKeys: [] }),
        (request) => {
          let d: Decision | undefined;
          expect(() => {
            d = permissive.decide(request);
          }).not.toThrow();
          expect(EFFECTS).toContain(d?.effect);
          if (d?.reason === 'invalid_request') expect(d.effect).toBe('deny');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('plain JSON arguments with ordinary tool names are always accepted (no false invalid_request)', () => {
    const hasControl = (t: string): boolean => [...t].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
    const toolArb = fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !hasControl(t));
    fc.assert(
      fc.property(toolArb, fc.dictionary(fc.string(), fc.jsonValue()), (tool, args) => {
        const d = permissive.decide({ tool, args: JSON.parse(JSON.stringify(args)) as Record<string, unknown> });
        expect(d).toMatchObject({ effect: 'allow', rule: 'all', errors: [] });
      }),
      { numRuns: 500 },
    );
  });

  it('decisions of a generated set are always one of the four effects, with allowed consistent and approvers only for require_approval', () => {
    fc.assert(
      fc.property(docsArb, requestArb, (docs, request) => {
        const s = build(docs);
        const d = s.decide(request);
        expect(d.allowed).toBe(d.effect === 'allow' || d.effect === 'warn');
        expect(d.policyDigest).toBe(s.digest);
        if (d.effect === 'require_approval' && d.rule !== null) expect(d.approvers).toEqual(['sec']);
        else expect(d.approvers).toEqual([]);
      }),
      RUNS,
    );
  });
});
