/**
 * `warden detect`: scan a text (a web page, an email, a tool result) for prompt injection and
 * secrets, or an MCP tool list for poisoning; with `--eval`, measure the detector on a labelled set.
 */
import type { Command } from 'commander';
import { detectInjection } from '../detect/injection.js';
import { detectInjectionModel, detectInjectionTiers } from '../detect/linear.js';
import { evaluateDetector, evaluateDetectorAsync, parseLabelledSet, type EvaluationReport } from '../detect/evaluate.js';
import { scanToolDefinition, scanToolList, type ToolDefinition } from '../detect/poisoning.js';
import { detectSecrets } from '../detect/secrets.js';
import { loadOnnxDetectorFile, mergeDetections } from '../detect/tier3-onnx.js';
import type { DetectionResult, Finding } from '../detect/types.js';
import { WardenError } from '../errors.js';
import { EXIT, reportFatal } from './output.js';
import { readInput } from './read-input.js';

interface DetectOptions {
  eval?: string;
  json?: boolean;
  tools?: boolean;
  threshold?: string;
  tier?: string;
  model?: string;
}

const TIERS = ['1', '2', '1+2', '3', '1+3', '1+2+3'];

/**
 * Registers `warden detect`.
 *
 * @example
 * ```ts
 * registerDetectCommand(program); // warden detect page.html | warden detect --eval set.jsonl --json
 * ```
 */
export function registerDetectCommand(program: Command): void {
  program
    .command('detect')
    .description(
      'Scan a file (or standard input with -) for prompt injection and secrets and print the findings; exit 1 when something was detected. ' +
        'With --tools the input is an MCP tools/list answer (or a list of tool definitions) scanned for tool poisoning. ' +
        'With --eval <jsonl> (each line {"text": "...", "label": "attack" | "benign"}, or {"tool": {...}, "label": ...} with --tools) print recall, false-positive rate and p99 latency.',
    )
    .argument('[file]', 'the text to scan, or - for standard input')
    .option('--eval <jsonl>', 'measure the detector on a labelled set instead of scanning a file')
    .option('--tools', 'the input is MCP tool definitions: scan for tool poisoning')
    .option('--threshold <score>', 'score (0..1] at or above which a text counts as detected (default 0.5)')
    .option('--tier <tier>', 'with --eval: 1 (the deterministic rules, default: the best measured on the held-out sets), 2 (the linear model), 1+2 (the two combined as cross-validation chose: tier 2 can veto a weak tier 1 finding, confirm a borderline one, or detect alone); with --model also 3, 1+3 (the default with --model) or 1+2+3')
    .option('--model <json>', 'a tier 3 ONNX model configuration (path, input, output, encoding, attackIndex, threshold; docs/detection.md): its verdict is merged with tier 1 (needs onnxruntime-node)')
    .option('--json', 'print one JSON object')
    .action(async (file: string | undefined, opts: DetectOptions) => {
      try {
        process.exitCode = opts.eval !== undefined ? await runEval(opts.eval, opts) : await runScan(file, opts);
      } catch (e) {
        process.exitCode = reportFatal(e);
      }
    });
}

function threshold(opts: DetectOptions): number | undefined {
  if (opts.threshold === undefined) return undefined;
  const t = Number(opts.threshold);
  if (!(t > 0 && t <= 1)) throw new WardenError('ERR_USAGE', `--threshold must be a number in (0, 1]; got ${JSON.stringify(opts.threshold)}.`);
  return t;
}

async function runScan(file: string | undefined, opts: DetectOptions): Promise<number> {
  if (file === undefined) throw new WardenError('ERR_USAGE', 'Give a file to scan (or - for standard input), or --eval <jsonl> to measure the detector.');
  const text = await readInput(file);
  const t = threshold(opts);
  if (opts.tools === true && opts.model !== undefined) throw new WardenError('ERR_USAGE', '--model scores text for prompt injection; tool poisoning (--tools) has tier 1 only.');
  if (opts.tools === true) return printTools(parseTools(text, file), t, opts.json === true);
  let injection = detectInjection(text, t === undefined ? {} : { threshold: t });
  if (opts.model !== undefined) {
    const model = await loadOnnxDetectorFile(opts.model);
    try {
      injection = mergeDetections([injection, await model.detect(text)]);
    } finally {
      await model.release();
    }
  }
  const secrets = detectSecrets(text);
  const labels = [...new Set([...injection.labels, ...secrets.labels])];
  if (opts.json === true) {
    console.log(JSON.stringify({ detected: injection.detected || secrets.detected, injection, secrets, labels }));
  } else {
    for (const f of [...injection.findings, ...secrets.findings].sort((a, b) => a.start - b.start)) console.log(line(f, text));
    console.log(summary(injection, secrets, labels));
  }
  return injection.detected || secrets.detected ? EXIT.denied : EXIT.ok;
}

function line(f: Finding, text?: string): string {
  const excerpt = text === undefined ? '' : `  ${JSON.stringify(text.slice(f.start, Math.min(f.end, f.start + 80)))}`;
  const where = f.path !== undefined ? `${f.path} ` : '';
  return `${f.detector.padEnd(9)} ${f.score.toFixed(2)}  ${where}${f.start}-${f.end}  ${f.rule}: ${f.reason}${excerpt}`;
}

function summary(injection: DetectionResult, secrets: DetectionResult, labels: string[]): string {
  const parts: string[] = [];
  parts.push(injection.detected ? `prompt injection detected (score ${injection.score})` : `no prompt injection (score ${injection.score})`);
  parts.push(secrets.detected ? `${secrets.findings.length} secret${secrets.findings.length === 1 ? '' : 's'} found` : 'no secrets');
  return `${parts.join('; ')}${labels.length > 0 ? `; session labels: ${labels.join(', ')}` : ''}.`;
}

function parseTools(text: string, where: string): ToolDefinition[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new WardenError('ERR_INPUT', `${where} is not JSON (${(e as Error).message}); with --tools give a tools/list answer {"tools": [...]} or a list of tool definitions.`);
  }
  const list = Array.isArray(value) ? value : (value as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(list)) throw new WardenError('ERR_INPUT', `${where} holds no tool list; with --tools give {"tools": [...]} or [...].`);
  return list as ToolDefinition[];
}

function printTools(tools: ToolDefinition[], t: number | undefined, json: boolean): number {
  const scans = scanToolList(tools, t === undefined ? {} : { threshold: t });
  const poisoned = scans.filter((s) => s.detected);
  if (json) {
    console.log(JSON.stringify({ detected: poisoned.length > 0, tools: scans }));
  } else {
    for (const s of scans) {
      if (s.findings.length === 0) continue;
      console.log(`${s.detected ? 'POISONED  ' : 'suspicious'} ${s.name} (score ${s.score})`);
      for (const f of s.findings) console.log(`  ${line(f)}`);
    }
    console.log(`${tools.length} tool${tools.length === 1 ? '' : 's'} scanned; ${poisoned.length} poisoned${poisoned.length > 0 ? `: ${poisoned.map((s) => s.name).join(', ')}` : ''}.`);
  }
  return poisoned.length > 0 ? EXIT.denied : EXIT.ok;
}

async function runEval(path: string, opts: DetectOptions): Promise<number> {
  const tier = opts.tier ?? (opts.model !== undefined ? '1+3' : '1');
  if (!TIERS.includes(tier)) throw new WardenError('ERR_USAGE', `--tier must be one of ${TIERS.join(', ')}; got ${JSON.stringify(tier)}.`);
  if (tier.includes('3') !== (opts.model !== undefined)) throw new WardenError('ERR_USAGE', tier.includes('3') ? `--tier ${tier} needs --model <json>: the tier 3 model's configuration.` : `--model is tier 3; give --tier 3, 1+3 or 1+2+3 (or no --tier).`);
  if (tier !== '1' && opts.tools === true) throw new WardenError('ERR_USAGE', '--tier applies to prompt injection; tool poisoning has tier 1 only.');
  const text = await readInput(path);
  const t = threshold(opts);
  let report: EvaluationReport;
  if (opts.tools === true) {
    const rows = parseToolSet(text, path);
    const known = rows.filter((r) => r.label === 'benign').map((r) => (r.tool as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string');
    const byText = new Map(rows.map((r) => [r.text, r.tool]));
    report = evaluateDetector(rows, (s) => scanToolDefinition(byText.get(s) as ToolDefinition, { knownNames: known, ...(t === undefined ? {} : { threshold: t }) }));
  } else {
    const settings = t === undefined ? {} : { threshold: t };
    const rows = parseLabelledSet(text, path);
    if (tier === '1') report = evaluateDetector(rows, (s) => detectInjection(s, settings));
    else if (tier === '2') report = evaluateDetector(rows, (s) => detectInjectionModel(s, settings));
    else if (tier === '1+2') report = evaluateDetector(rows, (s) => detectInjectionTiers(s, (x) => detectInjection(x, settings)));
    else report = await evaluateTier3(rows, tier, opts.model as string, settings);
  }
  const tp = report.attacks - report.missed.length;
  const flagged = tp + report.falsePositives.length;
  const precision = flagged === 0 ? 0 : round3(tp / flagged);
  const f1 = precision + report.recall === 0 ? 0 : round3((2 * precision * report.recall) / (precision + report.recall));
  if (opts.json === true) {
    // invariant: the JSON form is exactly the issue's { recall, falsePositiveRate, p99Micros, count } (a hidden set reads it).
    console.log(JSON.stringify({ recall: report.recall, falsePositiveRate: report.falsePositiveRate, p99Micros: report.p99Micros, count: report.count }));
  } else {
    console.log(`${report.count} examples: ${report.attacks} attacks, ${report.benign} benign`);
    console.log(`recall              ${report.recall}  (${report.attacks - report.missed.length} of ${report.attacks} detected)`);
    console.log(`false-positive rate ${report.falsePositiveRate}  (${report.falsePositives.length} of ${report.benign} flagged)`);
    console.log(`precision           ${precision}`);
    console.log(`F1                  ${f1}`);
    console.log(`p99 latency         ${report.p99Micros} µs per example`);
    if (report.missed.length > 0) console.log(`missed (lines): ${report.missed.join(', ')}`);
    if (report.falsePositives.length > 0) console.log(`false positives (lines): ${report.falsePositives.join(', ')}`);
  }
  return EXIT.ok;
}

/** Tier 3 alone or merged with the synchronous tiers; the model's own threshold is its configuration's. */
async function evaluateTier3(rows: ReturnType<typeof parseLabelledSet>, tier: string, config: string, settings: { threshold?: number }): Promise<EvaluationReport> {
  const model = await loadOnnxDetectorFile(config);
  try {
    const sync = tier === '1+3' ? (x: string) => detectInjection(x, settings) : tier === '1+2+3' ? (x: string) => detectInjectionTiers(x, (y) => detectInjection(y, settings)) : null;
    return await evaluateDetectorAsync(rows, async (s) => (sync === null ? model.detect(s) : mergeDetections([sync(s), await model.detect(s)])));
  } finally {
    await model.release();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A labelled set of tool definitions: each line `{"tool": {...}, "label": "attack" | "benign"}`. */
function parseToolSet(jsonl: string, where: string): Array<{ text: string; label: 'attack' | 'benign'; tool: unknown; line: number }> {
  const out: Array<{ text: string; label: 'attack' | 'benign'; tool: unknown; line: number }> = [];
  jsonl.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let row: { tool?: unknown; label?: unknown } | null;
    try {
      row = JSON.parse(raw) as { tool?: unknown; label?: unknown } | null;
    } catch (e) {
      throw new WardenError('ERR_INPUT', `${where}:${i + 1} is not JSON (${(e as Error).message}). With --tools each line is {"tool": {...}, "label": "attack" | "benign"}.`);
    }
    if (row === null || typeof row !== 'object' || row.tool === null || typeof row.tool !== 'object' || (row.label !== 'attack' && row.label !== 'benign')) {
      throw new WardenError('ERR_INPUT', `${where}:${i + 1} is not a labelled tool definition. With --tools each line is {"tool": {...}, "label": "attack" | "benign"}.`);
    }
    // The line's own text keys the definition, so the evaluator can hand it back.
    out.push({ text: `${i + 1}:${raw}`, label: row.label, tool: row.tool, line: i + 1 });
  });
  return out;
}
