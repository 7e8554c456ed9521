/**
 * Decision speed: Warden's compiled PolicySet against the in-process peers a user would pick, on
 * the same generated policies (bench/peers/rules.ts, translated mechanically per engine):
 * - `@microsoft/agent-governance-sdk` 4.0 (PolicyEngine.evaluatePolicy), bench/peers/agt.ts;
 * - OPA: Rego compiled to wasm by a real `opa` binary, run by `@open-policy-agent/opa-wasm`, bench/peers/rego.ts;
 * - Cedar: `@cedar-policy/cedar-wasm`, policies parsed once, bench/peers/cedar.ts.
 *
 * Every peer must first agree with Warden on every request of the corpus (effect and deciding
 * rule); one that disagrees is not timed, its first disagreements are printed, and the run exits
 * non-zero. Each engine is timed on its native input, built ahead of time from the same request
 * (what the engine does with it, such as JSON encoding into wasm memory, is part of its time).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { compilePolicy } from '../src/policy/compile.js';
import type { PolicySet } from '../src/policy/policy-set.js';
import { describeDisagreement, disagreements } from './peers/agree.js';
import { loadAgt } from './peers/agt.js';
import { loadCedar } from './peers/cedar.js';
import { findOpa } from './peers/opa-binary.js';
import { loadRego } from './peers/rego.js';
import { scenarios, toWardenDocument, type BenchRequest, type Verdict } from './peers/rules.js';
import { measure, printTable, type Timing } from './stats.js';

/** A peer ready to be checked and timed. */
interface Peer {
  name: string;
  loadMs: number;
  check: (r: BenchRequest) => Verdict;
  /** The timed call on the i-th request (native inputs prepared beforehand). */
  timed: () => (i: number) => unknown;
}

function prepared<I>(peer: { input(r: BenchRequest): I; evaluate(i: I): unknown; verdict(i: I): Verdict }, requests: readonly BenchRequest[]): Pick<Peer, 'check' | 'timed'> {
  return {
    check: (r) => peer.verdict(peer.input(r)),
    timed: () => {
      const inputs = requests.map((r) => peer.input(r));
      return (i) => peer.evaluate(inputs[i & 1023] as I);
    },
  };
}

/** The installed version of `pkg`, read from its package.json (some packages do not export it). */
function version(pkg: string): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(pkg)));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (manifest.name === pkg) return manifest.version ?? 'unknown';
      }
      const up = dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'not installed';
  }
}

/** Samples so that one engine's per-call timing takes about a second (at least 2,000). */
function samplesFor(fn: () => unknown): number {
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) fn();
  const perCallMs = (performance.now() - t0) / 200;
  return Math.max(2_000, Math.min(50_000, Math.round(1_000 / Math.max(perCallMs, 1e-6))));
}

/** Starts each engine's timing on a collected heap (the bench runs with --expose-gc), so no engine pays for another's garbage. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');

/** Runs the decision bench and prints p50/p99 per engine and the ratio to the fastest peer. */
export async function run(): Promise<void> {
  const opa = findOpa();
  console.log('\n# Decisions: Warden vs AGT, OPA (wasm) and Cedar (wasm), same rules, same requests');
  console.log(
    `node ${process.version}; @microsoft/agent-governance-sdk ${version('@microsoft/agent-governance-sdk')}, @open-policy-agent/opa-wasm ${version('@open-policy-agent/opa-wasm')} (opa ${opa.ok ? opa.version : 'missing'}), @cedar-policy/cedar-wasm ${version('@cedar-policy/cedar-wasm')}`,
  );
  console.log(`load average at start: ${load()}`);
  if (!opa.ok) console.log(`OPA is left out: ${opa.reason}`);
  const summary: string[] = [];
  let refused = false;
  const now = new Date();
  for (const s of scenarios()) {
    const t0 = performance.now();
    const set: PolicySet = compilePolicy([{ name: s.name, document: toWardenDocument('bench', s.rules) }]);
    const compileMs = performance.now() - t0;
    const reqs = s.requests;

    const peers: Peer[] = [];
    const a0 = performance.now();
    const agt = loadAgt('bench', s.rules);
    peers.push({ name: 'agt', loadMs: performance.now() - a0, ...prepared(agt, reqs) });
    if (opa.ok) {
      const o0 = performance.now();
      const rego = await loadRego(opa.path, s.rules);
      peers.push({ name: 'opa-wasm', loadMs: performance.now() - o0, ...prepared(rego, reqs) });
    }
    const c0 = performance.now();
    const cedar = loadCedar(`bench-${s.size}-${summary.length}`, s.rules, reqs);
    peers.push({ name: 'cedar-wasm', loadMs: performance.now() - c0, ...prepared(cedar, reqs) });

    const rows: Timing[] = [];
    let i = 0;
    const warden = (): unknown => set.decide(reqs[i++ & 1023], { now });
    collectGarbage();
    rows.push(measure(`warden      ${s.name}`, warden, { samples: 50_000 }));
    const timings = new Map<string, Timing>();
    for (const p of peers) {
      const bad = disagreements(set, reqs, p.check, now);
      if (bad.length > 0) {
        refused = true;
        console.log(`\n${p.name} disagrees with Warden on ${bad.length} of ${reqs.length} requests of "${s.name}"; not timed. First disagreements:`);
        for (const d of bad.slice(0, 5)) console.log(`  ${describeDisagreement(d)}`);
        continue;
      }
      const call = p.timed();
      collectGarbage();
      let j = 0;
      const fn = (): unknown => call(j++);
      const t = measure(`${p.name.padEnd(11)} ${s.name}`, fn, { samples: samplesFor(fn), warmup: 500, loopMs: 300 });
      timings.set(p.name, t);
      rows.push(t);
    }
    printTable(`${s.name} (timed: the engines that decide all ${reqs.length} requests as Warden does)`, rows);
    const w = rows[0] as Timing;
    console.log(`load: warden compile ${compileMs.toFixed(1)} ms; ${peers.map((p) => `${p.name} ${p.loadMs.toFixed(1)} ms`).join(', ')} (opa-wasm includes opa build; cedar-wasm includes strict validation)`);
    summary.push(row(s.name, w, timings));
  }
  console.log(`\nload average at end: ${load()}`);
  console.log('\n| scenario | warden p50 µs | warden p99 µs | agt p50 / p99 µs | opa-wasm p50 / p99 µs | cedar-wasm p50 / p99 µs | fastest peer p50 | ratio p50 | ratio p99 |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of summary) console.log(r);
  console.log('ratio: the fastest in-process peer (by p50, and by p99) over Warden. Goal (issue 9): at least 20x at 10 and at 1,000 rules.');
  if (refused) {
    console.log('\nSome peers disagreed with Warden and were not timed (see above).');
    process.exitCode = 1;
  }
}

function row(name: string, w: Timing, peers: Map<string, Timing>): string {
  const cell = (n: string): string => {
    const t = peers.get(n);
    return t ? `${t.p50us.toFixed(2)} / ${t.p99us.toFixed(2)}` : 'not timed';
  };
  const timed = [...peers.values()];
  const by = (k: 'p50us' | 'p99us'): Timing | undefined => timed.reduce<Timing | undefined>((best, t) => (best === undefined || t[k] < best[k] ? t : best), undefined);
  const f50 = by('p50us');
  const f99 = by('p99us');
  const ratio = (t: Timing | undefined, k: 'p50us' | 'p99us'): string => (t ? `${(t[k] / w[k]).toFixed(1)}x` : 'n/a');
  return `| ${name} | ${w.p50us.toFixed(2)} | ${w.p99us.toFixed(2)} | ${cell('agt')} | ${cell('opa-wasm')} | ${cell('cedar-wasm')} | ${f50 ? f50.name.split(' ')[0] : 'n/a'} | ${ratio(f50, 'p50us')} | ${ratio(f99, 'p99us')} |`;
}
