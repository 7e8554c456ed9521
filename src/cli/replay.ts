/**
 * `warden replay`: re-decide the requests of audit logs under a candidate policy and report what
 * would change. Exit 0, or 1 when a change of a kind listed in `--fail-on` occurred; 2 for a usage
 * error, a policy that does not load, or an audit file that cannot be read.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { listAuditFiles } from '../audit/files.js';
import { codeOf, messageOf } from '../audit/io.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { WardenError } from '../errors.js';
import { PolicyLoadError } from '../policy/issues.js';
import { FAIL_ON_VALUES, parseFailOn, replayFailures, type FailOn } from '../replay/fail-on.js';
import { formatReplayMarkdown, formatReplayText, thousands } from '../replay/format.js';
import { junitDocument, junitTestcase } from '../replay/junit.js';
import { readReplayRecords, totalBytes } from '../replay/read-log.js';
import { MAX_EXAMPLES_PER_GROUP, replay, type ReplayChange, type ReplayReport } from '../replay/replay.js';
import { EXIT, reportFatal } from './output.js';

interface ReplayCliOptions {
  policy: string[];
  baseline: string[];
  json?: boolean;
  markdown?: boolean;
  junit?: boolean;
  failOn?: string;
  examples: string;
  /** False with --no-sessions. */
  sessions?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Registers `warden replay`.
 *
 * @example
 * ```ts
 * const program = new Command('warden');
 * registerReplayCommand(program);
 * await program.parseAsync(['node', 'warden', 'replay', '--policy', 'new.yaml', '.warden/audit']);
 * ```
 */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'Re-decide every request recorded in audit logs under a candidate policy and report what would change. Exit 0, 1 when a change listed in --fail-on occurred, 2 on a usage, policy or file error.',
    )
    .argument('<logs...>', 'audit log files (.jsonl, oldest first) or log directories (every file of the stream, in chain order)')
    .option('-p, --policy <path>', 'the candidate policy: a file or directory; repeat for several', collect, [])
    .option('--baseline <path>', 'compare with this policy (repeat for several) on the same requests instead of with the recorded decisions', collect, [])
    .option('--json', 'print the report as JSON')
    .option('--markdown', 'print the report as Markdown (for a pull-request comment)')
    .option('--junit', 'print JUnit XML: a testcase per changed decision, failing for the kinds in --fail-on')
    .option('--fail-on <kinds>', `exit 1 when any of these occurred (comma-separated): ${FAIL_ON_VALUES.join(', ')}`)
    .option('--no-sessions', 'decide each record alone, without the session the calls before it built (a rule that reads session then fails closed)')
    .option('--examples <n>', `example requests kept per group (0-${MAX_EXAMPLES_PER_GROUP})`, '3')
    .addHelpText(
      'after',
      '\ndeny-to-allow: a change from deny or require_approval to allow or warn; allow-to-deny: the reverse; any: any change of effect.\nExample: warden replay --policy policies/ --fail-on deny-to-allow .warden/audit',
    )
    .action(async (logs: string[], opts: ReplayCliOptions) => {
      process.exitCode = await runReplay(logs, opts);
    });
}

async function runReplay(logs: string[], opts: ReplayCliOptions): Promise<number> {
  let junitDir: string | null = null;
  try {
    const formats = [opts.json, opts.markdown, opts.junit].filter((f) => f === true).length;
    if (formats > 1) throw usage('Choose one of --json, --markdown and --junit.');
    if (opts.policy.length === 0) throw usage('Give the candidate policy: --policy <file|dir> (repeat for several files).');
    if (!/^[0-9]{1,4}$/.test(opts.examples) || Number(opts.examples) > MAX_EXAMPLES_PER_GROUP) {
      throw usage(`--examples ${JSON.stringify(opts.examples)} is not an integer from 0 to ${MAX_EXAMPLES_PER_GROUP}.`);
    }
    const failOn: FailOn[] = opts.failOn === undefined ? [] : parseFailOn(opts.failOn);
    const files = await expandLogs(logs);
    const candidate = await loadPolicyFiles(opts.policy);
    const baseline = opts.baseline.length > 0 ? await loadPolicyFiles(opts.baseline) : undefined;

    const progress = process.stderr.isTTY === true ? new ProgressBar(await totalBytes(files), (text) => void process.stderr.write(text)) : null;
    let junit: JunitSpool | null = null;
    if (opts.junit === true) {
      junitDir = mkdtempSync(join(tmpdir(), 'warden-replay-'));
      junit = new JunitSpool(join(junitDir, 'testcases.xml'), failOn);
    }
    let report: ReplayReport;
    try {
      report = await replay(
        readReplayRecords(files, { onBytes: progress === null ? undefined : (n) => progress.bytes(n) }),
        candidate,
        {
          baseline,
          examplesPerGroup: Number(opts.examples),
          sessions: opts.sessions !== false,
          progressEvery: 4096,
          onProgress: progress === null ? undefined : (p) => progress.records(p.read),
          onChange: junit === null ? undefined : (c) => junit?.add(c),
        },
      );
    } finally {
      progress?.clear();
      junit?.close();
    }

    if (opts.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (opts.markdown === true) process.stdout.write(formatReplayMarkdown(report, { failOn }));
    else if (junit !== null) await junit.print(report);
    else process.stdout.write(formatReplayText(report, { failOn }));
    const textReport = opts.json !== true && opts.markdown !== true && opts.junit !== true;
    if (report.malformed > 0 && !textReport) {
      process.stderr.write(`warning: ${thousands(report.malformed)} line(s) of the logs are not records; run \`warden audit verify\`.\n`);
    }
    return replayFailures(report, failOn).length > 0 ? EXIT.denied : EXIT.ok;
  } catch (e) {
    if (e instanceof WardenError && !(e instanceof PolicyLoadError)) {
      process.stderr.write(`warden replay: ${e.message}\n`);
      return EXIT.invalid;
    }
    return reportFatal(e);
  } finally {
    if (junitDir !== null) rmSync(junitDir, { recursive: true, force: true });
  }
}

function usage(message: string): WardenError {
  return new WardenError('ERR_USAGE', message);
}

/** Each log argument as given, or, for a directory, its stream's files in chain order; each file once. */
async function expandLogs(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const ext = extname(arg).toLowerCase();
    if (ext === '.yaml' || ext === '.yml') {
      throw usage(`${arg} looks like a policy, not an audit log: repeat --policy for each policy file (--policy a.yaml --policy b.yaml) or pass a directory.`);
    }
    let isDir: boolean;
    try {
      isDir = (await stat(arg)).isDirectory();
    } catch (e) {
      throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read ${arg}: ${codeOf(e) === 'ENOENT' ? 'no such file or directory' : messageOf(e)}. Pass audit log files or the log directory.`, { cause: e });
    }
    for (const file of isDir ? await listAuditFiles(arg) : [arg]) {
      const key = resolve(file);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(file);
    }
  }
  return out;
}

/**
 * The progress line drawn on a terminal's stderr: percent of bytes, records, records/s, bytes read
 * of the total. Redrawn at most every 100 ms.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar(totalBytes, (s) => void process.stderr.write(s));
 * bar.records(4096); bar.bytes(1 << 20); bar.clear();
 * ```
 */
export class ProgressBar {
  readonly #total: number;
  readonly #write: (s: string) => void;
  readonly #clock: () => number;
  readonly #start: number;
  #last = Number.NEGATIVE_INFINITY;
  #read = 0;
  #bytes = 0;
  #drawn = false;

  constructor(total: number, write: (s: string) => void, clock: () => number = () => performance.now()) {
    this.#total = total;
    this.#write = write;
    this.#clock = clock;
    this.#start = clock();
  }

  records(n: number): void {
    this.#read = n;
    this.#draw();
  }

  bytes(n: number): void {
    this.#bytes = n;
    this.#draw();
  }

  #draw(): void {
    const now = this.#clock();
    if (now - this.#last < 100) return;
    this.#last = now;
    const seconds = Math.max((now - this.#start) / 1000, 0.001);
    const pct = this.#total > 0 ? Math.min(100, Math.floor((this.#bytes / this.#total) * 100)) : 100;
    const width = 20;
    const filled = Math.round((pct / 100) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    this.#write(`\r\u001b[2Kreplay ${bar} ${pct}%  ${thousands(this.#read)} records  ${thousands(this.#read / seconds)} records/s  ${mb(this.#bytes)} of ${mb(this.#total)}`);
    this.#drawn = true;
  }

  /** Erases the line, if one was drawn. */
  clear(): void {
    if (this.#drawn) this.#write('\r\u001b[2K');
    this.#drawn = false;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Testcases spooled to a file as they happen (constant memory), then printed under a header with the totals. */
class JunitSpool {
  readonly #path: string;
  readonly #failOn: readonly FailOn[];
  readonly #fd: number;
  #buffer = '';
  #closed = false;
  tests = 0;
  failures = 0;
  skipped = 0;

  constructor(path: string, failOn: readonly FailOn[]) {
    this.#path = path;
    this.#failOn = failOn;
    this.#fd = openSync(path, 'w', 0o600);
  }

  add(change: ReplayChange): void {
    const t = junitTestcase(change, this.#failOn);
    this.tests += 1;
    if (t.failed) this.failures += 1;
    if (t.skipped) this.skipped += 1;
    this.#buffer += t.xml;
    if (this.#buffer.length >= 64 * 1024) this.#flush();
  }

  #flush(): void {
    if (this.#buffer.length > 0) writeSync(this.#fd, this.#buffer);
    this.#buffer = '';
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    closeSync(this.#fd);
  }

  async print(report: ReplayReport): Promise<void> {
    const { head, tail } = junitDocument(report, this.#failOn, { tests: this.tests, failures: this.failures, skipped: this.skipped });
    process.stdout.write(head);
    for await (const chunk of createReadStream(this.#path)) {
      if (!process.stdout.write(chunk as Buffer)) await new Promise((r) => process.stdout.once('drain', r));
    }
    process.stdout.write(tail);
  }
}
