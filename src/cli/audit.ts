/**
 * `warden audit verify|head|query|tail|export`: thin commands over the audit library.
 *
 * Exit codes: 0 success (an intact log for `verify`), 1 a finding (a broken log, no signed head, a
 * bad signature), 2 a usage error (a missing file, a malformed option). The commands set
 * `process.exitCode` and never call `process.exit`, so output is flushed.
 */
import type { Command, OutputConfiguration } from 'commander';
import { stat } from 'node:fs/promises';
import { readHead } from '../audit/checkpoint.js';
import { listAuditFiles } from '../audit/files.js';
import { codeOf, messageOf } from '../audit/io.js';
import { loadPublicKey } from '../audit/keys.js';
import { queryAuditLog, tailAuditLog, type AuditQueryFilter, type MalformedLine } from '../audit/query.js';
import type { AuditRecord } from '../audit/record.js';
import { verifyAuditLog, type VerifyResult } from '../audit/verify.js';
import { verifyPostgresAuditStream } from '../audit/verify-postgres.js';
import { readPostgresAuditRecords, type PostgresAuditLocation } from '../audit/postgres-read.js';
import { opaDecisionLogEvents } from '../audit/opa-decision-log.js';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';

/** Error codes that mean the user asked for something that cannot be done as asked (exit 2). */
const USAGE_CODES = new Set(['ERR_AUDIT_NOT_FOUND', 'ERR_AUDIT_OPTIONS', 'ERR_AUDIT_KEY', 'ERR_USAGE']);

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function ioOf(command: Command): Io {
  const config: OutputConfiguration = command.configureOutput();
  return {
    out: config.writeOut ?? ((s) => void process.stdout.write(s)),
    err: config.writeErr ?? ((s) => void process.stderr.write(s)),
  };
}

/**
 * Adds `warden audit` and its subcommands to a commander program. Run the program with
 * `parseAsync` (the actions are async).
 *
 * @example
 * ```ts
 * const program = new Command('warden');
 * registerAuditCommand(program);
 * await program.parseAsync(process.argv);
 * ```
 */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('verify, inspect and query tamper-evident audit logs')
    .addHelpText('after', '\nFiles are the .jsonl files of one stream, oldest first (rotated <stream>.NNNNNN.jsonl, then <stream>.jsonl), or the log directory.');

  audit
    .command('verify')
    .description('recompute every hash, check every link and signature; exit 0 when intact, 1 at the first bad record')
    .argument('[files...]', 'log files of one stream, oldest first, or the log directory')
    .option('--postgres <url>', 'verify a stream of the PostgreSQL audit log instead of files (postgres://user@host:5432/db)')
    .option('--stream <id>', 'with --postgres: the stream id (default warden)')
    .option('--schema <name>', 'with --postgres: the schema of the audit tables (default public)')
    .option('--pubkey <file>', 'check checkpoint signatures with this Ed25519 public key (warden-audit.pub)')
    .option('--expect-seq <n>', 'the seq of a head anchored earlier (from `warden audit head`)')
    .option('--expect-hash <hash>', 'the hash of that head')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], opts: PostgresOpts & { pubkey?: string; expectSeq?: string; expectHash?: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await run(io, async () => {
        if ((opts.expectSeq === undefined) !== (opts.expectHash === undefined)) {
          throw usage('--expect-seq and --expect-hash go together: pass both, as `warden audit head` prints them.');
        }
        let expectCheckpoint: { seq: number; hash: string } | undefined;
        if (opts.expectSeq !== undefined && opts.expectHash !== undefined) {
          if (!/^[1-9][0-9]{0,15}$/.test(opts.expectSeq)) throw usage(`--expect-seq ${JSON.stringify(opts.expectSeq)} is not a positive integer.`);
          expectCheckpoint = { seq: Number(opts.expectSeq), hash: opts.expectHash };
        }
        const publicKey = opts.pubkey === undefined ? undefined : await loadPublicKey(opts.pubkey);
        const where = postgresLocation(files, opts);
        if (where !== null) {
          const result = await verifyPostgresAuditStream(where, { publicKey, expectCheckpoint });
          const name = `postgres stream ${where.stream ?? 'warden'}`;
          if (opts.json === true) io.out(`${JSON.stringify({ ...result, fileList: [name] })}\n`);
          else io.out(describeVerify(result, [name], opts.pubkey !== undefined));
          return result.ok ? 0 : 1;
        }
        const paths = await expandFiles(files);
        const result = await verifyAuditLog(paths, { publicKey, expectCheckpoint });
        if (opts.json === true) io.out(`${JSON.stringify({ ...result, fileList: paths })}\n`);
        else io.out(describeVerify(result, paths, opts.pubkey !== undefined));
        return result.ok ? 0 : 1;
      });
    });

  audit
    .command('head')
    .description('print the latest signed head (stream, seq, hash, signature) so it can be anchored elsewhere')
    .argument('<files...>', 'log files of one stream, oldest first, or the log directory')
    .option('--pubkey <file>', 'also check the head signature with this public key')
    .option('--json', 'print the head as JSON')
    .action(async (files: string[], opts: { pubkey?: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await run(io, async () => {
        const paths = await expandFiles(files);
        const publicKey = opts.pubkey === undefined ? undefined : await loadPublicKey(opts.pubkey);
        const head = await readHead(paths, { publicKey });
        if (head === null) {
          io.err(
            `No signed checkpoint in ${paths.join(', ')}. The sink signs checkpoints only with a signing key: create one with \`warden keygen\` and pass it as signingKey.\n`,
          );
          return 1;
        }
        if (opts.json === true) {
          io.out(`${JSON.stringify(head)}\n`);
        } else {
          io.out(
            [
              `stream     ${head.stream}`,
              `seq        ${head.seq}`,
              `hash       ${head.hash}`,
              `key        ${head.keyId}`,
              `signature  ${head.signature}`,
              `checkpoint seq ${head.checkpointSeq} at ${printable(head.ts)} in ${head.file}`,
              head.signatureValid === null ? 'verified   no key given (pass --pubkey to check the signature)' : head.signatureValid ? 'verified   signature valid' : `verified   SIGNATURE INVALID: ${head.signatureProblem ?? ''}`,
              '',
              'Store these lines outside this machine. Later, prove the log still reaches this head:',
              `  warden audit verify ${files.map(shellQuote).join(' ')}${opts.pubkey === undefined ? '' : ` --pubkey ${shellQuote(opts.pubkey)}`} --expect-seq ${head.seq} --expect-hash ${head.hash}`,
              '',
            ].join('\n'),
          );
        }
        return head.signatureValid === false ? 1 : 0;
      });
    });

  audit
    .command('query')
    .description('list recorded decisions matching every given filter (a table, or JSONL with --json)')
    .argument('<files...>', 'log files, oldest first, or the log directory')
    .option('--agent <id>', 'only decisions for this authenticated agent id')
    .option('--tool <name>', 'only this tool')
    .option('--effect <effect>', 'only this effect: allow, deny, require_approval, warn')
    .option('--since <time>', 'only at or after this ISO-8601 time')
    .option('--until <time>', 'only before this ISO-8601 time')
    .option('--json', 'print matching records as JSONL, exactly as stored')
    .action(async (files: string[], opts: AuditQueryFilter & { json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await run(io, async () => {
        const paths = await expandFiles(files);
        const filter: AuditQueryFilter = { agent: opts.agent, tool: opts.tool, effect: opts.effect, since: opts.since, until: opts.until };
        if (filter.effect !== undefined && !['allow', 'deny', 'require_approval', 'warn'].includes(filter.effect)) {
          throw usage(`--effect ${JSON.stringify(filter.effect)} is not an effect; use allow, deny, require_approval or warn.`);
        }
        const onMalformed = malformedReporter(io);
        let n = 0;
        if (opts.json !== true) io.out(`${tableHeader()}\n`);
        for await (const record of queryAuditLog(paths, filter, { onMalformed })) {
          n += 1;
          io.out(opts.json === true ? `${canonicalJson(record)}\n` : `${tableRow(record)}\n`);
        }
        if (opts.json !== true) io.out(`${n} decision${n === 1 ? '' : 's'} matched. Use --json for full records.\n`);
        return 0;
      });
    });

  audit
    .command('tail')
    .description('print the last records of a log; with -f keep printing new ones (Ctrl-C to stop)')
    .argument('<file>', 'the active log file, e.g. .warden/audit/warden.jsonl')
    .option('-f, --follow', 'keep reading as records are appended, across rotations')
    .option('-n, --lines <n>', 'how many of the last records to print first', '10')
    .option('--json', 'print records as JSONL')
    .action(async (file: string, opts: { follow?: boolean; lines: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await run(io, async () => {
        if (!/^[0-9]{1,9}$/.test(opts.lines)) throw usage(`--lines ${JSON.stringify(opts.lines)} is not a non-negative integer.`);
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          if (opts.json !== true) io.out(`${tableHeader()}\n`);
          const records = tailAuditLog(file, { follow: opts.follow === true, lines: Number(opts.lines), signal: controller.signal, onMalformed: malformedReporter(io) });
          for await (const record of records) io.out(opts.json === true ? `${canonicalJson(record)}\n` : `${tableRow(record)}\n`);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        return 0;
      });
    });

  audit
    .command('export')
    .description('print decision records in another system\'s log format (JSONL, one event per line)')
    .argument('[files...]', 'log files of one stream, oldest first, or the log directory')
    .requiredOption('--format <format>', 'the format: opa-decision-log (OPA decision-log events)')
    .option('--postgres <url>', 'export a stream of the PostgreSQL audit log instead of files')
    .option('--stream <id>', 'with --postgres: the stream id (default warden)')
    .option('--schema <name>', 'with --postgres: the schema of the audit tables (default public)')
    .option('--label <key=value>', 'add a label to every event (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--array', 'print one JSON array (the body OPA posts to a decision-log service) instead of JSONL')
    .action(async (files: string[], opts: PostgresOpts & { format: string; label?: string[]; array?: boolean }, command: Command) => {
      const io = ioOf(command);
      await run(io, async () => {
        if (opts.format !== 'opa-decision-log') throw usage(`--format ${JSON.stringify(opts.format)} is not a format warden can export; use opa-decision-log.`);
        const labels: Record<string, string> = {};
        for (const l of opts.label ?? []) {
          const eq = l.indexOf('=');
          if (eq <= 0) throw usage(`--label ${JSON.stringify(l)} is not key=value.`);
          labels[l.slice(0, eq)] = l.slice(eq + 1);
        }
        const where = postgresLocation(files, opts);
        const records: AsyncIterable<AuditRecord> = where !== null ? readPostgresAuditRecords(where) : queryAuditLog(await expandFiles(files), {}, { onMalformed: malformedReporter(io) });
        let n = 0;
        if (opts.array === true) io.out('[');
        for await (const event of opaDecisionLogEvents(records, { labels })) {
          io.out(opts.array === true ? `${n === 0 ? '' : ','}\n${JSON.stringify(event)}` : `${JSON.stringify(event)}\n`);
          n += 1;
        }
        if (opts.array === true) io.out(n === 0 ? ']\n' : '\n]\n');
        return 0;
      });
    });
}

interface PostgresOpts {
  postgres?: string;
  stream?: string;
  schema?: string;
}

/** The PostgreSQL stream the options name, or null for files; refuses both or neither. */
function postgresLocation(files: readonly string[], opts: PostgresOpts): PostgresAuditLocation | null {
  if (opts.postgres === undefined) {
    if (opts.stream !== undefined || opts.schema !== undefined) throw usage('--stream and --schema go with --postgres <url>.');
    if (files.length === 0) throw usage('Pass the log files (or the log directory), or --postgres <url> --stream <id>.');
    return null;
  }
  if (files.length > 0) throw usage('Pass either log files or --postgres <url>, not both.');
  const where: PostgresAuditLocation = { url: opts.postgres };
  if (opts.stream !== undefined) where.stream = opts.stream;
  if (opts.schema !== undefined) where.schema = opts.schema;
  return where;
}

/** Runs a command body, turning its result or error into output and an exit code. */
async function run(io: Io, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    const code = e instanceof WardenError ? e.code : codeOf(e);
    io.err(`warden audit: ${messageOf(e)}\n`);
    process.exitCode = code !== undefined && USAGE_CODES.has(code) ? 2 : 1;
  }
}

function usage(message: string): WardenError {
  return new WardenError('ERR_USAGE', message);
}

/** Each argument as given, or, for a directory, the stream's files in chain order. */
async function expandFiles(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    let isDir: boolean;
    try {
      isDir = (await stat(arg)).isDirectory();
    } catch (e) {
      throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read ${arg}: ${codeOf(e) === 'ENOENT' ? 'no such file or directory' : messageOf(e)}. Pass the log files (or the log directory).`, { cause: e });
    }
    if (isDir) out.push(...(await listAuditFiles(arg)));
    else out.push(arg);
  }
  return out;
}

function describeVerify(r: VerifyResult, files: readonly string[], keyGiven: boolean): string {
  const lines: string[] = [];
  const where = files.length === 1 ? (files[0] ?? '') : `${files.length} files`;
  const outcomes = r.outcomes > 0 ? `, ${r.outcomes} outcome${r.outcomes === 1 ? '' : 's'}` : '';
  const counts = `${r.records} record${r.records === 1 ? '' : 's'} (${r.decisions} decision${r.decisions === 1 ? '' : 's'}${outcomes}, ${r.checkpoints} checkpoint${r.checkpoints === 1 ? '' : 's'})`;
  if (r.ok) {
    lines.push(`intact: ${where}: ${counts}${r.stream === null ? '' : `, stream ${printable(r.stream)}`}`);
    if (r.head !== null) lines.push(`head: seq ${r.head.seq} ${r.head.hash}`);
    if (r.signaturesChecked > 0) lines.push(`signatures: ${r.signaturesChecked} checked, all valid`);
    if (r.signaturesUnchecked > 0) lines.push(`signatures: ${r.signaturesUnchecked} not checked; pass --pubkey warden-audit.pub to check them`);
    if (r.checkpoints === 0 && keyGiven) lines.push('note: no checkpoints in this log, so no signature was checked');
    if (r.lastCheckpoint === null && r.records > 0) lines.push('note: no signed head; anchor one with `warden audit head` once the sink has a signing key');
  } else {
    const bad = r.firstBad as NonNullable<VerifyResult['firstBad']>;
    lines.push(`BROKEN at seq ${bad.seq}: ${bad.reason} (${bad.file}:${bad.line})`);
    lines.push(`  ${printable(bad.message)}`);
    lines.push(`verified before it: ${counts}${r.head === null ? '' : `, up to seq ${r.head.seq}`}`);
    lines.push(
      bad.reason === 'torn'
        ? 'next: the writer stopped mid-append; opening the log with the file sink moves the torn bytes aside, then verify again.'
        : 'next: keep this copy as evidence and compare it with a backup or an anchored head (warden audit head).',
    );
  }
  return `${lines.join('\n')}\n`;
}

function malformedReporter(io: Io): (m: MalformedLine) => void {
  return (m) => io.err(`warning: ${m.file}${m.line > 0 ? `:${m.line}` : ''}: ${m.message} (skipped; run \`warden audit verify\`)\n`);
}

const COLUMNS = [
  ['seq', 8],
  ['time', 24],
  ['agent', 16],
  ['tool', 20],
  ['effect', 16],
  ['rule', 24],
] as const;

function tableHeader(): string {
  return `${COLUMNS.map(([name, w]) => name.padEnd(w)).join(' ')} reason`;
}

function tableRow(r: AuditRecord): string {
  if (r.type === 'checkpoint') {
    const cells = [String(r.seq), r.ts, '-', '-', 'checkpoint', `signs seq ${r.checkpoint.seq}`];
    return `${cells.map((c, i) => cell(c, COLUMNS[i]?.[1] ?? 10)).join(' ')} ${r.checkpoint.hash}`;
  }
  if (r.type === 'outcome') {
    const cells = [String(r.seq), r.ts, r.agent?.id ?? '-', r.tool, `outcome ${r.outcome.status}`, r.call];
    const why = r.outcome.error ? `${r.outcome.error.name}: ${r.outcome.error.message}` : r.outcome.durationMs !== undefined ? `${r.outcome.durationMs} ms` : '';
    return `${cells.map((c, i) => cell(c, COLUMNS[i]?.[1] ?? 10)).join(' ')} ${printable(why).slice(0, 120)}`;
  }
  const cells = [String(r.seq), r.ts, r.agent?.id ?? '-', r.request.tool, r.decision.effect, r.decision.rule ?? '(default)'];
  return `${cells.map((c, i) => cell(c, COLUMNS[i]?.[1] ?? 10)).join(' ')} ${printable(r.decision.reason).slice(0, 120)}`;
}

function cell(value: string, width: number): string {
  const s = printable(value);
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}

/**
 * Escapes what a terminal would interpret: control characters (C0, C1, DEL) and bidirectional
 * overrides, so a recorded field cannot rewrite the operator's screen.
 */
function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    const unsafe = c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f;
    out += unsafe ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
