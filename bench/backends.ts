/**
 * `npm run bench -- backends`: the same 10 rules (bench/peers/rules.ts, the decision bench's first
 * scenario) decided by a Warden set of YAML rules, by a Warden set holding them as one
 * `kind: CedarPolicy` document, by one holding them as a `kind: RegoPolicy` document, and by a
 * process per decision (`opa eval`, what a Rego integration that shells out pays). The Warden sets
 * are checked to decide every request alike before anything is timed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cedarBackend } from '../src/backends/cedar.js';
import { regoBackend } from '../src/backends/rego.js';
import { compilePolicy } from '../src/policy/compile.js';
import type { PolicySet } from '../src/policy/policy-set.js';
import { toCedarPolicies } from './peers/cedar.js';
import { findOpa } from './peers/opa-binary.js';
import { REGO_PACKAGE, toRego } from './peers/rego.js';
import { scenarios, toWardenDocument, type BenchRule } from './peers/rules.js';
import { measure, measureAsync, printTable, type Timing } from './stats.js';

const run$ = promisify(execFile);
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');

/** The rules as a Rego module under Warden's contract: `decision` undefined when no rule applies. */
function regoModule(rules: readonly BenchRule[]): string {
  return toRego(rules)
    .split('\n')
    .filter((l) => !l.startsWith('default decision'))
    .join('\n');
}

function cedarText(rules: readonly BenchRule[]): string {
  return Object.entries(toCedarPolicies(rules))
    .map(([id, text]) => `@id(${JSON.stringify(id)})\n${text}`)
    .join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export async function run(): Promise<void> {
  const scenario = scenarios()[0];
  if (scenario === undefined) throw new Error('no bench scenario');
  const opa = findOpa();
  console.log('\n# Cedar and Rego documents in a Warden policy set vs YAML rules and a process per decision (10 rules)');
  console.log(`node ${process.version}; opa ${opa.ok ? opa.version : 'missing'}; load average at start: ${load()}`);
  const reqs = scenario.requests;
  const now = new Date();
  const sets: Array<{ name: string; set: PolicySet }> = [{ name: 'warden yaml rules', set: compilePolicy([{ name: 'bench', document: toWardenDocument('bench', scenario.rules) }]) }];
  const cedarDoc = `apiVersion: warden/v1\nkind: CedarPolicy\nname: bench\npolicies: |\n${indent(cedarText(scenario.rules))}\n`;
  sets.push({ name: 'warden + CedarPolicy', set: compilePolicy([{ name: 'cedar.yaml', text: cedarDoc }], { backends: { cedar: await cedarBackend() } }) });
  const module = regoModule(scenario.rules);
  if (opa.ok) {
    const regoDoc = `apiVersion: warden/v1\nkind: RegoPolicy\nname: bench\nmodule: |\n${indent(module)}\n`;
    sets.push({ name: 'warden + RegoPolicy', set: compilePolicy([{ name: 'rego.yaml', text: regoDoc }], { backends: { rego: await regoBackend({ opa: opa.path }) } }) });
  } else console.log(`Rego is left out: ${opa.reason}`);

  const base = sets[0] as { set: PolicySet };
  for (const { name, set } of sets.slice(1)) {
    const bad = reqs.filter((r) => set.decide(r, { now }).effect !== base.set.decide(r, { now }).effect);
    if (bad.length > 0) throw new Error(`${name} decides ${bad.length} of ${reqs.length} requests differently from the YAML rules (first: ${JSON.stringify(bad[0])}); nothing timed`);
  }
  const rows: Timing[] = [];
  for (const { name, set } of sets) {
    let i = 0;
    rows.push(measure(name, () => set.decide(reqs[i++ & 1023], { now }), { samples: 20_000 }));
  }
  if (opa.ok) {
    const dir = mkdtempSync(join(tmpdir(), 'warden-bench-rego-'));
    try {
      const file = join(dir, 'policy.rego');
      writeFileSync(file, module);
      let i = 0;
      rows.push(
        await measureAsync(
          'opa eval, a process per decision',
          async () => {
            const input = join(dir, `in-${i & 7}.json`);
            writeFileSync(input, JSON.stringify(reqs[i++ & 1023]));
            await run$(opa.path, ['eval', '-d', file, '-i', input, '--format', 'raw', `data.${REGO_PACKAGE}.decision`]);
          },
          { samples: 40, warmup: 3 },
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printTable('10 rules, the same 1,024 requests (every engine checked to decide them alike)', rows);
  const spawn = rows.find((r) => r.name.startsWith('opa eval'));
  for (const r of rows.slice(1, -1)) {
    if (spawn) console.log(`${r.name}: p99 ${r.p99us.toFixed(1)} µs; ${(spawn.p50us / r.p50us).toFixed(0)}x faster than a process per decision at p50`);
  }
  console.log(`load average at end: ${load()}`);
}
