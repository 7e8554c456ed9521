/**
 * The decision bench's generated policies, written once in a small neutral form and translated
 * mechanically into each engine's own language (Warden YAML/CEL here; AGT, Rego and Cedar beside
 * this file), so every engine decides the same rules on the same requests.
 *
 * The neutral form is deliberately narrow: a rule names one tool, an effect (allow or deny) and a
 * conjunction of comparisons of one request argument with a literal. Each comparison is one that
 * every engine expresses natively (AGT 4.0's condition language has no prefix or regex test, so
 * none is offered). The semantics every translation must keep are Warden's:
 * - a rule applies when the request's tool is its tool and every comparison holds;
 * - deny overrides allow; among applicable rules of one effect, the first in rule order decides;
 * - no applicable rule: deny, decided by no rule.
 */

/** One comparison of `args.<field>` with a literal. */
export interface Comparison {
  field: string;
  op: '>' | '==' | '!=';
  value: number | string;
}

/** One generated rule. */
export interface BenchRule {
  name: string;
  tool: string;
  effect: 'allow' | 'deny';
  /** All must hold; empty means the rule applies to every call of its tool. */
  when: Comparison[];
}

/** One request of a scenario's corpus, in Warden's request shape. */
export interface BenchRequest {
  tool: string;
  args: Record<string, number | string>;
}

/** A policy and the requests it is timed on. */
export interface Scenario {
  name: string;
  /** How many rules (the bench reports at 10 and at 1,000). */
  size: number;
  rules: BenchRule[];
  requests: BenchRequest[];
}

/** What an engine decided, reduced to what every engine can say. */
export interface Verdict {
  effect: 'allow' | 'deny';
  /** The rule that decided; null for the default deny. */
  rule: string | null;
}

/** Field names every translation can write as a bare identifier. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks the neutral form's own limits, so a translation never has to guess.
 *
 * @example
 * ```ts
 * checkRules([{ name: 'r0', tool: 't', effect: 'allow', when: [] }]);
 * ```
 */
export function checkRules(rules: readonly BenchRule[]): void {
  for (const r of rules) {
    if (!IDENTIFIER.test(r.name)) throw new Error(`bench rule name "${r.name}" must be an identifier`);
    for (const c of r.when) {
      if (!IDENTIFIER.test(c.field)) throw new Error(`rule ${r.name}: field "${c.field}" must be an identifier`);
      if (typeof c.value === 'number' && !(Number.isSafeInteger(c.value) && c.value >= 0)) {
        throw new Error(`rule ${r.name}: ${c.value} is not a non-negative integer (AGT reads only unsigned literals, Cedar only integers)`);
      }
      if (c.op === '>' && typeof c.value !== 'number') throw new Error(`rule ${r.name}: > compares numbers only`);
      if (typeof c.value === 'string' && !/^[A-Za-z0-9_./ -]*$/.test(c.value)) {
        throw new Error(`rule ${r.name}: string literal ${JSON.stringify(c.value)} holds a character some translation would have to escape`);
      }
    }
  }
}

/** Warden's form: one `warden/v1` Policy document, the tool index from `tools:`, CEL for `when`. */
export function toWardenDocument(name: string, rules: readonly BenchRule[]): object {
  checkRules(rules);
  return {
    apiVersion: 'warden/v1',
    kind: 'Policy',
    name,
    rules: rules.map((r) => ({
      name: r.name,
      tools: [r.tool],
      effect: r.effect,
      ...(r.when.length > 0 ? { when: r.when.map((c) => `args.${c.field} ${c.op} ${JSON.stringify(c.value)}`).join(' && ') } : {}),
    })),
  };
}

/** A fixed pseudo-random sequence, so every engine sees the same calls in the same order. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31);
}

/**
 * `count` requests over `tools + 1` tool names: the extra name has no rule, so the corpus also
 * exercises the default deny.
 */
function corpus(count: number, tools: number, args: (i: number) => BenchRequest['args']): BenchRequest[] {
  const next = lcg(42);
  return Array.from({ length: count }, (_, i) => ({ tool: `tool_${next() % (tools + 1)}`, args: args(i) }));
}

const N = 1000;
const REQUESTS = 1024;

/**
 * The four scenarios of the decision bench.
 *
 * @example
 * ```ts
 * for (const s of scenarios()) console.log(s.name, s.rules.length, s.requests.length);
 * ```
 */
export function scenarios(): Scenario[] {
  return [
    {
      name: '10 rules',
      size: 10,
      rules: Array.from({ length: 10 }, (_, i) => ({
        name: `r${i}`,
        tool: `tool_${i}`,
        effect: i % 3 === 0 ? 'deny' : 'allow',
        when: i % 2 === 0 ? [{ field: 'amount', op: '>', value: 500 }] : [],
      })),
      requests: corpus(REQUESTS, 10, (i) => ({ amount: (i * 37) % 1000, path: `/data/${i}` })),
    },
    {
      name: `${N} tool-scoped rules, one condition each`,
      size: N,
      rules: Array.from({ length: N }, (_, i) => ({ name: `r${i}`, tool: `tool_${i}`, effect: 'allow', when: [{ field: 'amount', op: '>', value: i % 900 }] })),
      requests: corpus(REQUESTS, N, (i) => ({ amount: (i * 37) % 1000, path: `/data/${i}` })),
    },
    {
      name: `${N} rules, compound conditions`,
      size: N,
      rules: Array.from({ length: N }, (_, i) => ({
        name: `r${i}`,
        tool: `tool_${i}`,
        effect: 'allow',
        when: [
          { field: 'amount', op: '>', value: i % 500 },
          { field: 'region', op: '==', value: 'eu' },
          { field: 'tier', op: '!=', value: 'free' },
        ],
      })),
      requests: corpus(REQUESTS, N, (i) => ({ amount: (i * 37) % 1000, path: `/data/${i}`, region: i % 5 === 0 ? 'us' : 'eu', tier: i % 7 === 0 ? 'free' : 'pro' })),
    },
    {
      name: `deny-heavy mix (${N} rules, 50% deny)`,
      size: N,
      rules: Array.from({ length: N }, (_, i) => ({
        name: `r${i}`,
        tool: `tool_${i % 200}`,
        effect: i % 2 === 0 ? 'deny' : 'allow',
        when: i % 2 === 0 ? [{ field: 'amount', op: '>', value: i % 300 }] : [{ field: 'path', op: '!=', value: '/etc/passwd' }],
      })),
      requests: corpus(REQUESTS, 200, (i) => ({ amount: (i * 37) % 1000, path: i % 11 === 0 ? '/etc/passwd' : `/data/${i}` })),
    },
  ];
}
