/**
 * Detection speed and quality, side by side with the alternative a user of the toolkit we measure
 * against would pick: the Agent Governance Toolkit 4.0's regex detectors
 * (`ContextPoisoningDetector.scanEntry` for injected text, `McpSecurityScanner.scan` for tool
 * definitions). Both run on the same inputs: a 1 KB tool result, a 100 KB page of plain prose, a
 * 100 KB page full of encoded layers (the worst case for Warden: every layer is decoded and
 * rescanned), and the evaluation sets in test/fixtures/detect (recall and false-positive rate of
 * each detector on each set).
 *
 * Times are wall-clock per call (p50/p99) plus CPU time per KB, which is less disturbed by other
 * processes on a shared machine; report them with the machine's load (`uptime`).
 *
 * Also the new paths: a decision whose rule reads the `detect` facet on the arguments (beside the
 * same decision with a rule on `args` alone), scanning a 1 KB result for an outcome (what every
 * adapter now does), and decide + observe with a result that marks the session (beside one whose
 * result carries no labels).
 *
 * Tier 3 (an ONNX model through onnxruntime-node, the test model of test/fixtures/detect/onnx)
 * beside them: alone, merged with tier 1, and scanning a 1 KB result.
 *
 * `npx tsc -p tsconfig.bench.json && node dist-bench/bench/run.js detect`
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { ContextPoisoningDetector, McpSecurityScanner } from '@microsoft/agent-governance-sdk';
import { detectInjection } from '../src/detect/injection.js';
import { detectInjectionModel, detectInjectionTiers } from '../src/detect/linear.js';
import { scanToolDefinition, type ToolDefinition } from '../src/detect/poisoning.js';
import { measure, measureAsync, printTable } from './stats.js';
import { loadOnnxDetectorFile, mergeDetections } from '../src/detect/tier3-onnx.js';
import { scanOutputWithModel } from '../src/detect/output-model.js';
import { argumentDetector } from '../src/detect/arguments.js';
import { scanOutput } from '../src/detect/output.js';
import { Pipeline } from '../src/enforce/pipeline.js';
import { compilePolicy } from '../src/policy/compile.js';
import { createMemoryStore } from '../src/store/memory.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'detect');

function jsonl<T>(name: string): T[] {
  return readFileSync(join(FIXTURES, name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);
}

const PROSE = [
  'The trail climbs steadily through pine forest before opening onto a ridge with views of the valley.',
  'Our support team answers within one business day; for urgent issues call the number on your invoice.',
  'Feed the starter twice a day, keep it at room temperature, and bake once it doubles within six hours.',
  'Revenue grew twelve percent year over year, driven by subscriptions and lower churn in the second half.',
  'To install the library, run the package manager, then import the module and call its setup function.',
];

function fill(parts: readonly string[], size: number): string {
  let out = '';
  for (let i = 0; out.length < size; i++) out += `<p>${parts[i % parts.length] as string}</p>\n`;
  return out.slice(0, size);
}

/** AGT's injection check: one context entry scanned by ContextPoisoningDetector. */
function agtInjection(): (text: string) => boolean {
  const d = new ContextPoisoningDetector();
  let n = 0;
  return (text) => d.scanEntry({ entryId: `e${n++}`, sessionId: 's', agentId: 'a', role: 'tool', content: text, timestamp: '2026-01-01T00:00:00Z' }).length > 0;
}

function cpuMicrosPerKb(fn: (t: string) => unknown, text: string, rounds: number): number {
  for (let i = 0; i < 3; i++) fn(text);
  const c0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) fn(text);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / rounds / (text.length / 1024);
}

function quality(rows: ReadonlyArray<{ label: string }>, hit: (i: number) => boolean): string {
  let a = 0;
  let tp = 0;
  let b = 0;
  let fp = 0;
  rows.forEach((r, i) => {
    const h = hit(i);
    if (r.label === 'attack') {
      a++;
      if (h) tp++;
    } else {
      b++;
      if (h) fp++;
    }
  });
  return `recall ${(tp / a).toFixed(3)} (${tp}/${a})  false positives ${(fp / b).toFixed(3)} (${fp}/${b})`;
}

async function cpuMicrosPerKbAsync(fn: (t: string) => Promise<unknown>, text: string, rounds: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(text);
  const c0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await fn(text);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / rounds / (text.length / 1024);
}

/**
 * Tier 3: the test model (test/fixtures/detect/onnx/injection-lr.onnx: 2,048 hashed n-gram
 * buckets, a 2,048 x 2 MatMul, one thread) through onnxruntime-node, alone and merged with tier 1,
 * and a 1 KB result scanned with it (what an adapter with a resultModel does per result).
 * Exported so it can run alone: `node -e "import('./dist-bench/bench/detect.js').then((m) => m.tier3Alone())"`.
 */
export async function tier3(oneKb: string, prose: string, encoded: string): Promise<void> {
  const model = await loadOnnxDetectorFile(join(FIXTURES, 'onnx', 'injection-lr.json'));
  try {
    const both = async (t: string) => mergeDetections([detectInjection(t), await model.detect(t)]);
    printTable('tier 3 (ONNX test model, onnxruntime-node, 1 thread) and tiers 1+3', [
      await measureAsync('tier 3   1 KB tool result', () => model.detect(oneKb), { samples: 2000, warmup: 200 }),
      await measureAsync('tier 1+3 1 KB tool result', () => both(oneKb), { samples: 2000, warmup: 200 }),
      await measureAsync('tier 3   100 KB prose', () => model.detect(prose), { samples: 40, warmup: 5 }),
      await measureAsync('tier 1+3 100 KB prose', () => both(prose), { samples: 40, warmup: 5 }),
      await measureAsync('tier 1+3 100 KB encoded layers', () => both(encoded), { samples: 20, warmup: 5 }),
      await measureAsync('scanOutputWithModel 1 KB result', () => scanOutputWithModel({ content: [{ type: 'text', text: oneKb }] }, undefined, model), { samples: 2000, warmup: 200 }),
    ]);
    console.log(
      `  CPU µs per KB: tier 3 1 KB ${(await cpuMicrosPerKbAsync((t) => model.detect(t), oneKb, 1000)).toFixed(1)}, 100 KB prose ${(await cpuMicrosPerKbAsync((t) => model.detect(t), prose, 20)).toFixed(1)}; ` +
        `tiers 1+3 1 KB ${(await cpuMicrosPerKbAsync(both, oneKb, 1000)).toFixed(1)}, 100 KB prose ${(await cpuMicrosPerKbAsync(both, prose, 20)).toFixed(1)}, 100 KB encoded ${(await cpuMicrosPerKbAsync(both, encoded, 10)).toFixed(1)}`,
    );
  } finally {
    await model.release();
  }
}

/** {@link tier3} on the same inputs {@link run} builds, without the rest of the bench. */
export async function tier3Alone(): Promise<void> {
  const dev = jsonl<{ text: string; label: string }>('injection-dev.jsonl');
  const oneKb = (fill(PROSE, 700) + (dev.find((r) => r.label === 'attack')?.text ?? '')).padEnd(1024, ' ').slice(0, 1024);
  console.log(`\nload average (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(' ')} on a 2-core machine shared with other jobs`);
  await tier3(oneKb, fill(PROSE, 100 * 1024), dev.map((r) => r.text).join('\n').slice(0, 100 * 1024));
}

export async function run(): Promise<void> {
  const agt = agtInjection();
  const dev = jsonl<{ text: string; label: string }>('injection-dev.jsonl');
  const holdout = jsonl<{ text: string; label: string }>('injection-holdout.jsonl');
  const holdout2 = jsonl<{ text: string; label: string }>('injection-holdout-2.jsonl');
  const tools = jsonl<{ tool: ToolDefinition; label: string }>('poisoning-set.jsonl');
  // A web page with an injected paragraph, padded with prose to 1 KB.
  const oneKb = (fill(PROSE, 700) + (dev.find((r) => r.label === 'attack')?.text ?? '')).padEnd(1024, ' ').slice(0, 1024);
  const prose = fill(PROSE, 100 * 1024);
  // The dev set's texts (encoded layers, markup, confusables) are about 63 KB together: repeated to a full 100 KB.
  const devText = dev.map((r) => r.text).join('\n');
  const encoded = devText.repeat(Math.ceil((100 * 1024) / devText.length)).slice(0, 100 * 1024);
  console.log(`\nload average (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(' ')} on a 2-core machine shared with other jobs`);
  printTable('prompt injection: Warden tier 1 vs AGT ContextPoisoningDetector', [
    measure('warden 1 KB tool result', () => detectInjection(oneKb), { samples: 3000, warmup: 500 }),
    measure('agt    1 KB tool result', () => agt(oneKb), { samples: 3000, warmup: 500 }),
    measure('warden 100 KB prose', () => detectInjection(prose), { samples: 60, warmup: 10 }),
    measure('agt    100 KB prose', () => agt(prose), { samples: 60, warmup: 10 }),
    measure('warden 100 KB encoded layers', () => detectInjection(encoded), { samples: 30, warmup: 5 }),
    measure('agt    100 KB encoded layers', () => agt(encoded), { samples: 30, warmup: 5 }),
  ]);
  console.log('\nCPU time per KB (µs):');
  console.log(`  warden 1 KB ${cpuMicrosPerKb((t) => detectInjection(t), oneKb, 2000).toFixed(1)}   100 KB prose ${cpuMicrosPerKb((t) => detectInjection(t), prose, 30).toFixed(1)}   100 KB encoded ${cpuMicrosPerKb((t) => detectInjection(t), encoded, 10).toFixed(1)}`);
  console.log(`  agt    1 KB ${cpuMicrosPerKb(agt, oneKb, 2000).toFixed(1)}   100 KB prose ${cpuMicrosPerKb(agt, prose, 30).toFixed(1)}   100 KB encoded ${cpuMicrosPerKb(agt, encoded, 10).toFixed(1)}`);
  // Tier 2 (not used by any enforcement point; measured against the tiers 1+2 latency target).
  const tiers = (t: string) => detectInjectionTiers(t, detectInjection);
  printTable('tier 2 (linear model) and tiers 1+2', [
    measure('tier 2   1 KB tool result', () => detectInjectionModel(oneKb), { samples: 3000, warmup: 500 }),
    measure('tier 1+2 1 KB tool result', () => tiers(oneKb), { samples: 3000, warmup: 500 }),
    measure('tier 2   100 KB prose', () => detectInjectionModel(prose), { samples: 60, warmup: 10 }),
    measure('tier 1+2 100 KB prose', () => tiers(prose), { samples: 60, warmup: 10 }),
    measure('tier 1+2 100 KB encoded layers', () => tiers(encoded), { samples: 30, warmup: 5 }),
  ]);
  console.log(`  CPU µs per KB: tier 2 1 KB ${cpuMicrosPerKb((t) => detectInjectionModel(t), oneKb, 2000).toFixed(1)}, 100 KB prose ${cpuMicrosPerKb((t) => detectInjectionModel(t), prose, 30).toFixed(1)}; tiers 1+2 1 KB ${cpuMicrosPerKb(tiers, oneKb, 2000).toFixed(1)}, 100 KB prose ${cpuMicrosPerKb(tiers, prose, 30).toFixed(1)}, 100 KB encoded ${cpuMicrosPerKb(tiers, encoded, 10).toFixed(1)}`);
  await tier3(oneKb, prose, encoded);
  console.log('\nQuality on the evaluation sets (test/fixtures/detect):');
  console.log(`  injection-dev      warden ${quality(dev, (i) => detectInjection(dev[i]?.text ?? '').detected)}`);
  console.log(`  injection-dev      agt    ${quality(dev, (i) => agt(dev[i]?.text ?? ''))}`);
  console.log(`  injection-holdout  warden ${quality(holdout, (i) => detectInjection(holdout[i]?.text ?? '').detected)}`);
  console.log(`  injection-holdout  agt    ${quality(holdout, (i) => agt(holdout[i]?.text ?? ''))}`);
  console.log(`  injection-holdout-2 warden ${quality(holdout2, (i) => detectInjection(holdout2[i]?.text ?? '').detected)}`);
  console.log(`  injection-holdout-2 agt    ${quality(holdout2, (i) => agt(holdout2[i]?.text ?? ''))}`);
  // Tier 2 and tiers 1+2 on the held-out sets (the model never trained on them; docs/detection.md).
  const publicTest = jsonl<{ text: string; label: string }>('public-test.jsonl');
  for (const [name, rows] of [['injection-holdout', holdout], ['injection-holdout-2', holdout2], ['public-test', publicTest]] as const) {
    console.log(`  ${name.padEnd(18)} tier 2   ${quality(rows, (i) => detectInjectionModel(rows[i]?.text ?? '').detected)}`);
    console.log(`  ${name.padEnd(18)} tier 1+2 ${quality(rows, (i) => tiers(rows[i]?.text ?? '').detected)}`);
  }
  const known = tools.filter((t) => t.label === 'benign').map((t) => t.tool.name);
  const scanner = new McpSecurityScanner();
  const agtTool = (t: ToolDefinition): boolean => !scanner.scan({ name: t.name, description: t.description ?? '', parameters: (t.inputSchema ?? {}) as Record<string, unknown> }).safe;
  console.log(`  poisoning-set      warden ${quality(tools, (i) => scanToolDefinition((tools[i] as { tool: ToolDefinition }).tool, { knownNames: known }).detected)}`);
  console.log(`  poisoning-set      agt    ${quality(tools, (i) => agtTool((tools[i] as { tool: ToolDefinition }).tool))}`);
  // The detect facet: the same allow decision with a rule that reads detect, and with one that reads args only.
  const facetPolicy = (when: string) =>
    compilePolicy([{ name: 'p.yaml', text: `apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: guard\n    tools: [send_message]\n    when: "${when}"\n    effect: deny\n  - name: send\n    tools: [send_message]\n    effect: allow\n` }], { detector: argumentDetector });
  const withFacet = facetPolicy('detect.injection.detected');
  const withoutFacet = facetPolicy("args.body.contains('ignore previous instructions')");
  const message = { to: 'ops@example.com', body: fill(PROSE, 1024) };
  printTable('the detect facet on a 1 KB argument (decide, allow)', [
    measure('rule reads detect.injection.detected', () => withFacet.decide({ tool: 'send_message', args: message }), { samples: 3000, warmup: 500 }),
    measure('rule reads args.body only', () => withoutFacet.decide({ tool: 'send_message', args: message }), { samples: 3000, warmup: 500 }),
  ]);
  printTable('scanning a 1 KB tool result for its outcome (adapters, gateway)', [measure('scanOutput 1 KB result', () => scanOutput({ content: [{ type: 'text', text: oneKb }] }), { samples: 3000, warmup: 500 })]);
  const flow = compilePolicy([{ name: 'f.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: f\nrules:\n  - name: all\n    effect: allow\n' }]);
  const marking = new Pipeline({ policy: flow, state: { store: createMemoryStore() } });
  const plain = new Pipeline({ policy: flow, state: { store: createMemoryStore() } });
  let n = 0;
  const round = async (p: Pipeline, labels: string[] | undefined) => {
    const { verdict } = await p.decide({ request: { tool: 'search_docs', args: {}, context: { session: `s${n++ % 100}` } } });
    await p.observe({ call: verdict.call, tool: 'search_docs' }, labels === undefined ? { status: 'ok' } : { status: 'ok', labels });
  };
  printTable('decide + observe with session state (memory store)', [
    await measureAsync('result marks the session untrusted', () => round(marking, ['untrusted']), { samples: 3000, warmup: 500 }),
    await measureAsync('result carries no labels', () => round(plain, undefined), { samples: 3000, warmup: 500 }),
  ]);
  const sample = (tools.find((t) => t.label === 'attack') as { tool: ToolDefinition }).tool;
  printTable('tool poisoning: one definition', [
    measure('warden scanToolDefinition', () => scanToolDefinition(sample, { knownNames: known }), { samples: 3000, warmup: 500 }),
    measure('agt    McpSecurityScanner.scan', () => agtTool(sample), { samples: 3000, warmup: 500 }),
  ]);
}
