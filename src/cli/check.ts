/** `warden check`: decide one request or a batch against a policy. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { openFileAuditSink, type FileAuditSink } from '../audit/file-sink.js';
import { loadPrivateKey } from '../audit/keys.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import type { DecisionEvent } from '../decision.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { Decision } from '../decision.js';
import { EXIT, isInvalidRequest, printDecision, reportFatal } from './output.js';
import { parseNow, parseRequestJson, readInput } from './read-input.js';

interface CheckOptions {
  policy: string[];
  request?: string;
  requests?: string;
  json?: boolean;
  now?: string;
  audit?: string;
  signingKey?: string;
}

/** Registers `warden check`. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('Decide a request (or a JSONL batch) against a policy. Exit 0 allowed, 1 denied or approval required, 2 invalid policy or request.')
    .requiredOption('-p, --policy <paths...>', 'policy files or directories')
    .option('-r, --request <file>', 'a JSON request {"tool","args","agent","context"}; "-" reads standard input')
    .option('--requests <file>', 'a JSONL file of requests, one per line; prints one decision per line')
    .option('--json', 'print the decision as JSON')
    .option('--now <time>', 'the time rules see as now (ISO-8601); default the current time')
    .option('--audit <path>', 'record every decision in this audit log (a .jsonl file or a directory)')
    .option('--signing-key <file>', 'Ed25519 private key (warden keygen) to sign checkpoints of the audit log')
    .action(async (opts: CheckOptions) => {
      process.exitCode = await runCheck(opts);
    });
}

async function runCheck(opts: CheckOptions): Promise<number> {
  try {
    if (opts.request !== undefined && opts.requests !== undefined) throw new Error('Give either --request or --requests, not both.');
    if (opts.request === undefined && opts.requests === undefined) {
      throw new Error('Give a request: --request <file> (or - for standard input), or --requests <file.jsonl> for a batch.');
    }
    const now = parseNow(opts.now);
    const set = await loadPolicyFiles(opts.policy);
    if (opts.signingKey !== undefined && opts.audit === undefined) throw new Error('--signing-key needs --audit <path>: it signs checkpoints of that log.');
    const signingKey = opts.signingKey === undefined ? undefined : await loadPrivateKey(opts.signingKey);
    const sink = opts.audit === undefined ? null : await openFileAuditSink({ path: opts.audit, ...(signingKey ? { signingKey } : {}) });
    try {
      if (opts.requests !== undefined) return await checkBatch(set, opts.requests, now, sink);
      const request = parseRequestJson(await readInput(opts.request as string), opts.request === '-' ? 'standard input' : (opts.request as string));
      const decision = set.decide(request, { now });
      // invariant: a decision is printed only after it is recorded, when a log was asked for.
      if (sink) await sink.write(eventOf(request, decision, now));
      if (opts.json) console.log(JSON.stringify(decision));
      else printDecision(toolOf(request), decision);
      if (sink) console.error(`Recorded in ${sink.path}.`);
      return exitFor(decision);
    } finally {
      await sink?.close();
    }
  } catch (e) {
    return reportFatal(e);
  }
}

/** The record of a `warden check` decision: nothing ran, so there is no outcome. */
function eventOf(request: unknown, decision: Decision, now: Date): DecisionEvent {
  const r = (request !== null && typeof request === 'object' && !Array.isArray(request) ? request : {}) as Record<string, unknown>;
  const plain = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const context = plain(r.context);
  const agent = plain(r.agent);
  return {
    ts: now.toISOString(),
    agent: agent && typeof agent.id === 'string' ? (agent as unknown as DecisionEvent['agent']) : null,
    request: { tool: typeof r.tool === 'string' ? r.tool : '', args: plain(r.args) ?? {}, ...(context ? { context } : {}) },
    decision,
  };
}

async function checkBatch(set: PolicySet, file: string, now: Date, sink: FileAuditSink | null): Promise<number> {
  const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let code: number = EXIT.ok;
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let decision: Decision;
    try {
      decision = set.decide(parseRequestJson(line, `${file}:${n}`), { now });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      decision = { effect: 'deny', allowed: false, rule: null, policy: null, reason: 'invalid_request', approvers: [], errors: [{ code: 'invalid_request', rule: null, policy: null, message }], policyDigest: set.digest };
    }
    if (sink) {
      await sink.write(eventOf(parseOrNull(line), decision, now));
    }
    console.log(JSON.stringify({ line: n, ...decision }));
    code = Math.max(code, exitFor(decision));
    if (process.stderr.isTTY && n % 10_000 === 0) process.stderr.write(`\r${n.toLocaleString('en-US')} requests decided...`);
  }
  if (process.stderr.isTTY && n >= 10_000) process.stderr.write(`\r${n.toLocaleString('en-US')} requests decided.   \n`);
  return code;
}

function parseOrNull(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    // An unparsable line is recorded with an empty request; its decision says why.
    return null;
  }
}

function exitFor(d: Decision): number {
  if (isInvalidRequest(d)) return EXIT.invalid;
  return d.allowed ? EXIT.ok : EXIT.denied;
}

function toolOf(request: unknown): string {
  const t = request !== null && typeof request === 'object' ? (request as { tool?: unknown }).tool : undefined;
  return typeof t === 'string' ? t : '(no tool)';
}
