/**
 * Replay throughput: records per second re-decided from an audit log on disk (read, parse,
 * decide, compare), against the recorded decisions and against a baseline policy; the engine alone
 * over records already parsed; and a candidate that needs a facet (shell), for contrast. Each row
 * is the best of three runs after a warm-up.
 *
 * The log is written with the real record builder (redaction, HMAC digest, canonical JSON, chain).
 *
 * Run: `npx tsc -p tsconfig.bench.json && node -e "import('./dist-bench/bench/replay.js').then(m=>m.run())"`
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildDecisionBodyEncoded, chainLine, GENESIS_HASH } from '../src/audit/record.js';
import type { DecisionEvent } from '../src/decision.js';
import { compilePolicy } from '../src/policy/compile.js';
import type { PolicySet } from '../src/policy/policy-set.js';
import { readReplayRecords } from '../src/replay/read-log.js';
import { replay, type ReplayRecord, type ReplayReport } from '../src/replay/replay.js';
import { printTable, type Timing } from './stats.js';

const RECORDS = 200_000;
const TOOLS = ['read_file', 'write_file', 'send_email', 'http_get', 'query_db', 'list_dir', 'bash', 'search'];

const CURRENT = `
apiVersion: warden/v1
kind: Policy
name: current
rules:
  - name: reads
    tools: [read_file, list_dir, search]
    effect: allow
  - name: workspace-writes
    tools: [write_file]
    when: "args.path.startsWith('/workspace/')"
    effect: allow
  - name: internal-mail
    tools: [send_email]
    unless: "args.to.endsWith('@example.com')"
    effect: require_approval
    approvers: [security]
  - name: mail
    tools: [send_email]
    effect: allow
  - name: big-queries
    tools: [query_db]
    when: "args.limit > 5000"
    effect: deny
  - name: queries
    tools: [query_db, http_get]
    effect: allow
  - name: shell
    tools: [bash]
    when: "agent.roles.exists(r, r == 'admin')"
    effect: allow
`;

/** The candidate: a new deny, a tighter condition, one allow removed. */
const CANDIDATE = `
apiVersion: warden/v1
kind: Policy
name: candidate
rules:
  - name: reads
    tools: [read_file, list_dir]
    effect: allow
  - name: no-env-files
    tools: [read_file]
    when: "args.path.endsWith('.env')"
    effect: deny
  - name: workspace-writes
    tools: [write_file]
    when: "args.path.startsWith('/workspace/src/')"
    effect: allow
  - name: internal-mail
    tools: [send_email]
    unless: "args.to.endsWith('@example.com')"
    effect: require_approval
    approvers: [security]
  - name: mail
    tools: [send_email]
    effect: allow
  - name: big-queries
    tools: [query_db]
    when: "args.limit > 1000"
    effect: deny
  - name: queries
    tools: [query_db, http_get]
    effect: allow
  - name: shell
    tools: [bash]
    when: "agent.roles.exists(r, r == 'admin')"
    effect: allow
`;

/** The same candidate plus a rule that reads the shell facet (parsed per bash call). */
const FACET_CANDIDATE = `${CANDIDATE}
facets:
  - tools: [bash]
    shell: { from: args.command }
`.replace(
  '  - name: shell\n',
  `  - name: no-network-shell
    tools: [bash]
    when: "!shell.parsed || shell.programs.exists(p, p in ['curl', 'wget'])"
    effect: deny
  - name: shell
`,
);

function eventOf(i: number, current: PolicySet): DecisionEvent {
  const tool = TOOLS[i % TOOLS.length] as string;
  const args: Record<string, unknown> =
    tool === 'read_file' ? { path: i % 50 === 0 ? `/workspace/.env` : `/workspace/src/file-${i}.ts` }
    : tool === 'write_file' ? { path: i % 3 === 0 ? `/workspace/docs/note-${i}.md` : `/workspace/src/file-${i}.ts`, content: `line ${i}` }
    : tool === 'send_email' ? { to: i % 4 === 0 ? `partner-${i}@other.org` : `dev-${i}@example.com`, subject: `report ${i}` }
    : tool === 'query_db' ? { query: `SELECT * FROM orders WHERE id = ${i}`, limit: (i * 37) % 8000 }
    : tool === 'bash' ? { command: i % 7 === 0 ? `curl https://example.com/${i}` : `ls -la /workspace/${i}` }
    : { url: `https://example.com/page/${i}`, q: `term ${i}` };
  const agent = { id: `agent-${i % 5}`, roles: i % 5 === 0 ? ['admin'] : ['coder'] };
  const request = { tool, args, agent, context: { environment: 'prod' } };
  const ts = new Date(Date.UTC(2025, 5, 1) + i * 1000);
  return { ts: ts.toISOString(), agent, request, decision: current.decide(request, { now: ts }) };
}

/** Writes `n` chained records to `file` with the real record builder. */
function writeLog(file: string, n: number, current: PolicySet): void {
  const fd = openSync(file, 'w');
  const hmacKey = Buffer.from('bench-replay-secret-0123456789ab');
  let prev = GENESIS_HASH;
  let buffer = '';
  for (let i = 0; i < n; i++) {
    const { members } = buildDecisionBodyEncoded(eventOf(i, current), { hmacKey });
    const { line, hash } = chainLine(members, { seq: i + 1, stream: 'bench', prev });
    prev = hash;
    buffer += `${line}\n`;
    if (buffer.length > 1 << 20) {
      writeSync(fd, buffer);
      buffer = '';
    }
  }
  writeSync(fd, buffer);
  closeSync(fd);
}

/**
 * Best of three timed runs after a warm-up: the machine is shared, and the best run is the least
 * disturbed. Also reports the process's CPU time (user + system) of that run, which other jobs on a
 * loaded machine disturb far less than wall time (GC helper threads count too, so it errs high).
 */
async function timed(name: string, run: () => Promise<ReplayReport>): Promise<{ row: Timing; cpu: Timing; report: ReplayReport }> {
  let report = await run();
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    report = await run();
    best = Math.min(best, performance.now() - t0);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
  }
  const row = (ms: number): Timing => ({ name, samples: report.read, p50us: (ms * 1000) / report.read, p99us: (ms * 1000) / report.read, opsPerSec: report.read / (ms / 1000) });
  return { row: row(best), cpu: row(bestCpu), report };
}

/** Runs the replay benches and prints their table. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-replay-bench-'));
  try {
    const current = compilePolicy([{ name: 'current.yaml', text: CURRENT }]);
    const candidate = compilePolicy([{ name: 'candidate.yaml', text: CANDIDATE }]);
    const facetCandidate = compilePolicy([{ name: 'facet.yaml', text: FACET_CANDIDATE }]);
    const file = join(dir, 'bench.jsonl');
    const t0 = performance.now();
    writeLog(file, RECORDS, current);
    const writeMs = performance.now() - t0;
    const size = statSync(file).size;
    console.log(`\nreplay bench log: ${RECORDS.toLocaleString('en-US')} records, ${(size / 1e6).toFixed(1)} MB, written in ${(writeMs / 1000).toFixed(1)} s`);

    const rows: Array<{ row: Timing; cpu: Timing }> = [];
    const fromDisk = await timed('from disk, vs recorded decisions (no facet)', () => replay(readReplayRecords([file]), candidate));
    rows.push(fromDisk);
    rows.push(await timed('from disk, vs a baseline policy (no facet)', () => replay(readReplayRecords([file]), candidate, { baseline: current })));
    // Parsed records take ~20x their JSON size in memory, so this row holds a slice of the log.
    const inMemory: ReplayRecord[] = [];
    for await (const r of readReplayRecords([file])) if (inMemory.push(r) >= 50_000) break;
    rows.push(await timed('engine only, 50,000 records already parsed (no facet)', () => replay(inMemory, candidate)));
    rows.push(await timed('from disk, candidate reads the shell facet', () => replay(readReplayRecords([file]), facetCandidate)));
    printTable('replay, wall time (µs columns: mean per record)', rows.map((r) => r.row));
    printTable('replay, CPU time of the process (µs columns: mean per record)', rows.map((r) => r.cpu));
    const r = fromDisk.report;
    console.log(`changes found (from disk, vs recorded): ${JSON.stringify(r.changes)}; unchanged ${r.unchanged}, malformed ${r.malformed}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
