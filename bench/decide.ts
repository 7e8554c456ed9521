/**
 * Decision speed: Warden's compiled PolicySet against @microsoft/agent-governance-sdk 4.0.0
 * (PolicyEngine.loadPolicy + evaluatePolicy) on the same scenarios, side by side.
 *
 * AGT has no tool index, so its tool scoping is written as a condition (`tool == 'tool_7'`), the
 * closest equivalent a user of that SDK would write.
 */
import { performance } from 'node:perf_hooks';
import { PolicyEngine } from '@microsoft/agent-governance-sdk';
import { compilePolicy } from '../src/policy/compile.js';
import type { PolicySet } from '../src/policy/policy-set.js';
import { measure, printTable, type Timing } from './stats.js';

interface Scenario {
  name: string;
  warden: () => object;
  agt: () => { name: string; default_action: 'deny' | 'allow'; rules: Array<Record<string, unknown>> };
  requests: Array<{ tool: string; args: Record<string, unknown> }>;
}

const N = 1000;

function requests(count: number, tools: number, amount: (i: number) => number, extra: Record<string, unknown> = {}): Scenario['requests'] {
  // A fixed pseudo-random sequence so both engines see the same calls.
  let seed = 42;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, (_, i) => ({ tool: `tool_${next() % tools}`, args: { amount: amount(i), path: `/data/${i}`, ...extra } }));
}

const scenarios: Scenario[] = [
  {
    name: '10 rules',
    warden: () => ({
      apiVersion: 'warden/v1',
      kind: 'Policy',
      name: 'ten',
      rules: Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, tools: [`tool_${i}`], effect: i % 3 === 0 ? 'deny' : 'allow', ...(i % 2 === 0 ? { when: 'args.amount > 500' } : {}) })),
    }),
    agt: () => ({
      name: 'ten',
      default_action: 'deny',
      rules: Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, condition: i % 2 === 0 ? `tool == 'tool_${i}' and amount > 500` : `tool == 'tool_${i}'`, action: i % 3 === 0 ? 'deny' : 'allow' })),
    }),
    requests: requests(1024, 10, (i) => (i * 37) % 1000),
  },
  {
    name: `${N} tool-scoped rules, one condition each`,
    warden: () => ({
      apiVersion: 'warden/v1',
      kind: 'Policy',
      name: 'scoped',
      rules: Array.from({ length: N }, (_, i) => ({ name: `r${i}`, tools: [`tool_${i}`], when: `args.amount > ${i % 900}`, effect: 'allow' })),
    }),
    agt: () => ({
      name: 'scoped',
      default_action: 'deny',
      rules: Array.from({ length: N }, (_, i) => ({ name: `r${i}`, condition: `tool == 'tool_${i}' and amount > ${i % 900}`, action: 'allow' })),
    }),
    requests: requests(1024, N, (i) => (i * 37) % 1000),
  },
  {
    name: `${N} rules, compound conditions`,
    warden: () => ({
      apiVersion: 'warden/v1',
      kind: 'Policy',
      name: 'compound',
      rules: Array.from({ length: N }, (_, i) => ({
        name: `r${i}`,
        tools: [`tool_${i}`],
        when: `args.amount > ${i % 500} && args.region == 'eu' && args.tier != 'free'`,
        effect: 'allow',
      })),
    }),
    agt: () => ({
      name: 'compound',
      default_action: 'deny',
      rules: Array.from({ length: N }, (_, i) => ({ name: `r${i}`, condition: `tool == 'tool_${i}' and amount > ${i % 500} and region == 'eu' and tier != 'free'`, action: 'allow' })),
    }),
    requests: requests(1024, N, (i) => (i * 37) % 1000, { region: 'eu', tier: 'pro' }),
  },
  {
    name: `deny-heavy mix (${N} rules, 50% deny)`,
    warden: () => ({
      apiVersion: 'warden/v1',
      kind: 'Policy',
      name: 'mix',
      rules: Array.from({ length: N }, (_, i) => ({
        name: `r${i}`,
        tools: [`tool_${i % 200}`],
        when: i % 2 === 0 ? `args.amount > ${i % 300}` : `args.path.startsWith('/data/')`,
        effect: i % 2 === 0 ? 'deny' : 'allow',
      })),
    }),
    agt: () => ({
      name: 'mix',
      default_action: 'deny',
      rules: Array.from({ length: N }, (_, i) => ({
        name: `r${i}`,
        condition: i % 2 === 0 ? `tool == 'tool_${i % 200}' and amount > ${i % 300}` : `tool == 'tool_${i % 200}'`,
        action: i % 2 === 0 ? 'deny' : 'allow',
      })),
    }),
    requests: requests(1024, 200, (i) => (i * 37) % 1000),
  },
];

/** Runs the decision bench and prints p50/p99, decisions/s and the ratio. */
export async function run(): Promise<void> {
  console.log('\n# Decisions: Warden vs @microsoft/agent-governance-sdk 4.0.0');
  const summary: string[] = [];
  for (const s of scenarios) {
    const doc = s.warden();
    const t0 = performance.now();
    const set: PolicySet = compilePolicy([{ name: s.name, document: doc }]);
    const compileMs = performance.now() - t0;
    const engine = new PolicyEngine();
    const a0 = performance.now();
    engine.loadPolicy(s.agt() as unknown as Parameters<PolicyEngine['loadPolicy']>[0]);
    const agtLoadMs = performance.now() - a0;
    let i = 0;
    const reqs = s.requests;
    const now = new Date();
    const w = measure(`warden  ${s.name}`, () => set.decide(reqs[i++ & 1023], { now }), { samples: 50_000 });
    let j = 0;
    const flat = reqs.map((r) => ({ tool: r.tool, ...r.args }));
    const big = s.name.startsWith('10 ') ? 20_000 : 2_000;
    const a = measure(`agt     ${s.name}`, () => engine.evaluatePolicy('did:agent:bench', flat[j++ & 1023] as Record<string, unknown>), { samples: big, warmup: 500, loopMs: 300 });
    printTable(s.name, [w, a]);
    console.log(`compile: warden ${compileMs.toFixed(1)} ms, agt load ${agtLoadMs.toFixed(1)} ms; p99 ratio ${(a.p99us / w.p99us).toFixed(0)}x, throughput ratio ${(w.opsPerSec / a.opsPerSec).toFixed(0)}x`);
    summary.push(row(s.name, w, a, compileMs));
  }
  console.log('\n| scenario | warden p50 µs | warden p99 µs | warden decisions/s | agt p99 µs | agt decisions/s | throughput ratio | warden compile ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of summary) console.log(r);
}

function row(name: string, w: Timing, a: Timing, compileMs: number): string {
  return `| ${name} | ${w.p50us.toFixed(2)} | ${w.p99us.toFixed(2)} | ${Math.round(w.opsPerSec).toLocaleString('en-US')} | ${a.p99us.toFixed(1)} | ${Math.round(a.opsPerSec).toLocaleString('en-US')} | ${(w.opsPerSec / a.opsPerSec).toFixed(0)}x | ${compileMs.toFixed(1)} |`;
}
