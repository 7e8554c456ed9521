/** `warden check`: decide one request or a batch against a policy, through the pipeline. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { AgentIdentity, Decision, DecisionSink } from '../decision.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { compiledPolicyCacheFromEnv } from '../enforce/compiled-cache.js';
import { Pipeline, type CallInput } from '../enforce/pipeline.js';
import { WardenError } from '../errors.js';
import { parseJsonText } from '../lib/json-text.js';
import { EXIT, isInvalidRequest, printDecision, reportFatal } from './output.js';
import { parseNow, readInput } from './read-input.js';

/**
 * The options of `warden check`, as commander gives them.
 *
 * @example
 * ```ts
 * const opts: CheckOptions = { policy: ['policy.yaml'], request: 'request.json', json: true };
 * ```
 */
export interface CheckOptions {
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

/** The options of `warden check` that take one value, by flag. */
const VALUE_FLAGS: Readonly<Record<string, 'request' | 'requests' | 'now' | 'audit' | 'signingKey'>> = {
  '-r': 'request',
  '--request': 'request',
  '--requests': 'requests',
  '--now': 'now',
  '--audit': 'audit',
  '--signing-key': 'signingKey',
};

/**
 * Runs `warden check` given the arguments after `check`, without commander (whose load costs a
 * `warden check` process more than its decision), when they are in the plain form the command
 * line nearly always has: each option once, spelt `-p a.yaml b.yaml` / `--json` / `--now <time>`
 * (no `=`, no value starting with `-`, no other word). Returns null for anything else, which the
 * caller hands to commander: usage errors, help and unusual spellings are commander's, as before.
 *
 * @example
 * ```ts
 * const code = await runCheckPlain(['--policy', 'p.yaml', '--request', 'r.json', '--json']);
 * if (code === null) await runWithCommander(); else process.exitCode = code;
 * ```
 */
export async function runCheckPlain(args: readonly string[]): Promise<number | null> {
  const opts = parseCheckPlain(args);
  return opts === null ? null : runCheck(opts);
}

/**
 * The options of {@link runCheckPlain}'s plain form, as commander would give them; null when the
 * arguments are not in that form (commander decides what they mean).
 *
 * @example
 * ```ts
 * parseCheckPlain(['-p', 'a.yaml', 'b.yaml', '--json']); // { policy: ['a.yaml', 'b.yaml'], json: true }
 * parseCheckPlain(['--policy=a.yaml']); // null
 * ```
 */
export function parseCheckPlain(args: readonly string[]): CheckOptions | null {
  const opts: Partial<CheckOptions> = {};
  const seen = new Set<string>();
  const plainValue = (v: string | undefined): v is string => v !== undefined && v !== '' && !v.startsWith('-');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const key = arg === '-p' || arg === '--policy' ? 'policy' : arg === '--json' ? 'json' : Object.hasOwn(VALUE_FLAGS, arg) ? VALUE_FLAGS[arg] : undefined;
    if (key === undefined || seen.has(key)) return null;
    seen.add(key);
    if (key === 'json') {
      opts.json = true;
    } else if (key === 'policy') {
      const paths: string[] = [];
      while (plainValue(args[i + 1])) paths.push(args[++i] as string);
      if (paths.length === 0) return null;
      opts.policy = paths;
    } else {
      const value = args[++i];
      if (!plainValue(value)) return null;
      opts[key] = value;
    }
  }
  return opts.policy === undefined ? null : (opts as CheckOptions);
}

/** Decisions are not recorded without --audit: a sink that keeps nothing. */
const NOWHERE: DecisionSink = { write: async () => undefined, writeSync: () => undefined };

async function runCheck(opts: CheckOptions): Promise<number> {
  try {
    if (opts.request !== undefined && opts.requests !== undefined) throw new WardenError('ERR_USAGE', 'Give either --request or --requests, not both.');
    if (opts.request === undefined && opts.requests === undefined) {
      throw new WardenError('ERR_USAGE', 'Give a request: --request <file> (or - for standard input), or --requests <file.jsonl> for a batch.');
    }
    const now = parseNow(opts.now);
    const set = await loadPolicyFiles(opts.policy, { cache: compiledPolicyCacheFromEnv(process.env) });
    if (opts.signingKey !== undefined && opts.audit === undefined) throw new WardenError('ERR_USAGE', '--signing-key needs --audit <path>: it signs checkpoints of that log.');
    // The audit sink's modules load only when a log is asked for: most checks record nothing.
    const signingKey = opts.signingKey === undefined ? undefined : await (await import('../audit/keys.js')).loadPrivateKey(opts.signingKey);
    const sink = opts.audit === undefined ? null : await (await import('../audit/file-sink.js')).openFileAuditSink({ path: opts.audit, ...(signingKey ? { signingKey } : {}) });
    // A check answers with the policy's word: require_approval is reported, never asked.
    const pipeline = new Pipeline({ policy: set, sink: sink ?? NOWHERE, approval: 'defer', clock: () => now });
    try {
      if (opts.requests !== undefined) return await checkBatch(pipeline, opts.requests, sink !== null);
      const where = opts.request === '-' ? 'standard input' : (opts.request as string);
      const input = callInput(await readInput(opts.request as string), where);
      const { verdict } = await pipeline.decide(input);
      // invariant: a decision is printed only after it is recorded, when a log was asked for.
      if (sink && !verdict.recorded) throw new WardenError('ERR_AUDIT_WRITE', `The decision could not be recorded in ${sink.path}: ${verdict.reason}`);
      const decision = decisionOf(verdict);
      // A request that could not be read says why on standard error too (the decision says it on standard output).
      if (isInvalidRequest(decision)) for (const e of decision.errors) console.error(`warden: ${e.message}`);
      if (opts.json) console.log(JSON.stringify(decision));
      else printDecision(toolOf(input.request), decision);
      if (sink) console.error(`Recorded in ${sink.path}.`);
      return exitFor(decision);
    } finally {
      await sink?.close();
    }
  } catch (e) {
    return reportFatal(e);
  }
}

/**
 * A request's JSON text as pipeline input: `agent` travels beside the request (the file is the
 * operator's, so its identity is trusted as given); text that is not JSON, or repeats a key, is an
 * invalid request that is still decided (denied) and recorded.
 */
function callInput(text: string, where: string): CallInput {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { request: undefined, invalid: `${where} is not a valid JSON request (${parsed.error}); a request is {"tool": "...", "args": {...}}` };
  const value = parsed.value;
  // The parse is this command's own: the pipeline may freeze it in place instead of copying it.
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, 'agent')) return { request: value, parsedJson: true };
  const agent = (value as { agent?: unknown }).agent;
  return { request: value, agent: agent as AgentIdentity, parsedJson: true };
}

/** The batch: decisions pipelined (the audit log batches its writes), printed in input order through one buffer. */
async function checkBatch(pipeline: Pipeline, file: string, recording: boolean): Promise<number> {
  const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const out = new LineWriter();
  const digest = pipeline.policySet.digest;
  const digestJson = JSON.stringify(digest);
  let code: number = EXIT.ok;
  let n = 0;
  let inFlight: Promise<void>[] = [];
  const emit = (line: number, d: Decision): void => {
    out.write(decisionLine(line, d, digest, digestJson));
    code = Math.max(code, exitFor(d));
  };
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    const line = n;
    const call = callInput(text, `${file}:${line}`);
    if (!recording) {
      // Nothing to wait for: decide synchronously, in order.
      emit(line, decisionOf(pipeline.decideSync(call).verdict));
    } else {
      const previous = inFlight.length > 0 ? (inFlight[inFlight.length - 1] as Promise<void>) : Promise.resolve();
      const decided = pipeline.decide(call);
      inFlight.push(
        Promise.all([decided, previous]).then(([{ verdict }]) => {
          if (!verdict.recorded) throw new WardenError('ERR_AUDIT_WRITE', `${file}:${line}: the decision could not be recorded: ${verdict.reason}`);
          emit(line, decisionOf(verdict));
        }),
      );
      // Bounded: at most this many decisions wait for the log at once.
      if (inFlight.length >= 256) {
        await inFlight[inFlight.length - 1];
        inFlight = [];
      }
    }
    if (out.backlogged) await out.drained();
    if (process.stderr.isTTY && n % 10_000 === 0) process.stderr.write(`\r${n.toLocaleString('en-US')} requests decided...`);
  }
  if (inFlight.length > 0) await inFlight[inFlight.length - 1];
  await out.end();
  if (process.stderr.isTTY && n >= 10_000) process.stderr.write(`\r${n.toLocaleString('en-US')} requests decided.   \n`);
  return code;
}

/** What `check` prints of a verdict: the Decision members, final (approval is deferred, so they are the policy's). */
function decisionOf(v: Decision): Decision {
  return { effect: v.effect, allowed: v.allowed, rule: v.rule, policy: v.policy, reason: v.reason, approvers: v.approvers, errors: v.errors, policyDigest: v.policyDigest };
}

/** Serialized decision parts, reused: a policy has few distinct rules and reasons. Bounded. */
const PARTS = new Map<string, string>();

/** `{"line":n,...decision}` as JSON.stringify would write it, from serialized parts. */
function decisionLine(line: number, d: Decision, digest: string, digestJson: string): string {
  // Everything but the line number and the errors repeats from decision to decision.
  const key = `${d.effect}\u0000${d.rule ?? '\u0001'}\u0000${d.policy ?? '\u0001'}\u0000${d.reason}\u0000${d.approvers.join('\u0000')}`;
  let middle = d.policyDigest === digest ? PARTS.get(key) : undefined;
  if (middle === undefined) {
    const rule = d.rule === null ? 'null' : JSON.stringify(d.rule);
    const policy = d.policy === null ? 'null' : JSON.stringify(d.policy);
    middle = `"effect":"${d.effect}","allowed":${d.allowed},"rule":${rule},"policy":${policy},"reason":${JSON.stringify(d.reason)},"approvers":${JSON.stringify(d.approvers)},"errors":`;
    if (d.policyDigest === digest && PARTS.size < 4096) PARTS.set(key, middle);
  }
  const errors = d.errors.length === 0 ? '[]' : JSON.stringify(d.errors);
  const policyDigest = d.policyDigest === digest ? digestJson : JSON.stringify(d.policyDigest);
  return `{"line":${line},${middle}${errors},"policyDigest":${policyDigest}}\n`;
}

/** Buffers output lines and writes them in large chunks (a console.log per line costs more than the decision). */
class LineWriter {
  #buffer = '';
  /** True when standard output asked the writer to wait (its buffer is full). */
  backlogged = false;

  write(text: string): void {
    this.#buffer += text;
    if (this.#buffer.length >= 64 * 1024) this.#flush();
  }

  /** Resolves once standard output has drained. */
  drained(): Promise<void> {
    if (!this.backlogged) return Promise.resolve();
    return new Promise<void>((resolve) =>
      process.stdout.once('drain', () => {
        this.backlogged = false;
        resolve();
      }),
    );
  }

  #flush(): void {
    const chunk = this.#buffer;
    this.#buffer = '';
    if (chunk !== '' && !process.stdout.write(chunk)) this.backlogged = true;
  }

  async end(): Promise<void> {
    this.#flush();
    await this.drained();
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
