/**
 * One hook event, start to finish: parse the input, load the policy, decide, record, answer.
 *
 * Everything that can go wrong (input that is not a hook input, a policy that does not load, an
 * audit log that cannot be written) ends in exit code 2 with the reason on stderr, which Claude
 * Code treats as a block. A decision is answered only after it is recorded.
 */
import { formatIssue, PolicyLoadError } from '../../policy/issues.js';
import type { PolicySet } from '../../policy/policy-set.js';
import type { Decision } from '../../decision.js';
import type { DecisionOutcome } from '../../decision.js';
import { WardenError } from '../../errors.js';
import { LockedAuditLog } from './audit-log.js';
import { parseHookText, type HookInput } from './hook-input.js';
import { PROMPT_TOOL, requestFor } from './mapping.js';
import { preToolUseOutput, promptOutput } from './output.js';
import { PolicyCache } from './policy-cache.js';

/**
 * Where the hook reads its policy and writes its log, and who it says is acting. Every path is
 * absolute (resolve them before: the hook server runs in another directory).
 *
 * @example
 * ```ts
 * const config: HookConfig = { policyPaths: ['/repo/.warden/policy.yaml'], auditPath: '/repo/.warden/audit/claude-code.jsonl', agentId: 'claude-code', projectDir: '/repo', home: '/home/dev', windows: false };
 * ```
 */
export interface HookConfig {
  policyPaths: string[];
  /** A `.jsonl` file or a directory. */
  auditPath: string;
  agentId: string;
  /** The root of the path facet (and `context.projectDir`); null: the input's `cwd`. */
  projectDir: string | null;
  /** Home directory for `~` in paths; null: `~` paths are never inside the project. */
  home: string | null;
  windows: boolean;
}

/**
 * What the hook process does: its exit code and what it writes.
 *
 * @example
 * ```ts
 * const r: HookResult = { exitCode: 2, stdout: '', stderr: 'warden: the policy did not load\n' };
 * ```
 */
export interface HookResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Most audit logs a runtime keeps objects for (each is cheap; this only bounds the map). */
const MAX_LOGS = 64;

/**
 * Handles hook events with its caches: compiled policies keyed by their exact sources, and one
 * queue per audit log. One per process; the hook server keeps one for its lifetime.
 *
 * @example
 * ```ts
 * const runtime = new HookRuntime();
 * const { exitCode, stdout, stderr } = await runtime.handle(stdinText, config);
 * ```
 */
export class HookRuntime {
  readonly #policies: PolicyCache;
  readonly #logs = new Map<string, LockedAuditLog>();
  readonly #now: () => Date;

  constructor(options: { now?: () => Date; policyCacheSize?: number } = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#policies = new PolicyCache(options.policyCacheSize);
  }

  /**
   * Handles one hook event given as the JSON text Claude Code wrote to standard input.
   *
   * @example
   * ```ts
   * const r = await runtime.handle('{"hook_event_name":"PreToolUse",...}', config);
   * process.stdout.write(r.stdout); process.stderr.write(r.stderr); process.exitCode = r.exitCode;
   * ```
   */
  async handle(text: string, config: HookConfig): Promise<HookResult> {
    try {
      checkConfig(config);
      const input = parseHookText(text);
      const projectDir = config.projectDir ?? input.cwd;
      const set = await this.#policies.load(config.policyPaths, {
        root: projectDir,
        windows: config.windows,
        ...(config.home !== null ? { home: config.home } : {}),
      });
      const request = requestFor(input, { agentId: config.agentId, projectDir });
      const now = this.#now();
      const decision = governs(set, input) ? set.decide(request, { now }) : recordOnly(set);
      const answer = answerFor(input, decision);
      const warnings = await this.#log(config.auditPath).append({
        ts: now.toISOString(),
        agent: request.agent ?? null,
        request,
        decision,
        ...(answer.outcome ? { outcome: answer.outcome } : {}),
      });
      return { exitCode: 0, stdout: answer.stdout, stderr: warnings.map((w) => `warden: audit log: ${w}\n`).join('') };
    } catch (e) {
      return { exitCode: 2, stdout: '', stderr: fatalText(e) };
    }
  }

  #log(path: string): LockedAuditLog {
    let log = this.#logs.get(path);
    if (!log) {
      // Dropping an old entry is safe: the lock file, not this object, orders appends.
      if (this.#logs.size >= MAX_LOGS) this.#logs.delete(this.#logs.keys().next().value as string);
      log = new LockedAuditLog(path);
      this.#logs.set(path, log);
    }
    return log;
  }
}

/**
 * True when the policy decides this input: every tool call, and a prompt only when some rule
 * names the tool `UserPromptSubmit` in its `tools:` list (prompts are otherwise recorded only).
 *
 * @example
 * ```ts
 * governsPrompts(set); // true when a rule lists tools: [UserPromptSubmit]
 * ```
 */
export function governsPrompts(set: PolicySet): boolean {
  return set.rules.some((r) => r.exactTools !== null && r.exactTools.includes(PROMPT_TOOL));
}

function governs(set: PolicySet, input: HookInput): boolean {
  return input.hook_event_name !== 'UserPromptSubmit' || governsPrompts(set);
}

/** The record of a prompt no rule governs: it went on, and the record says why. */
function recordOnly(set: PolicySet): Decision {
  return {
    effect: 'allow',
    allowed: true,
    rule: null,
    policy: null,
    reason: `Prompts are recorded, not decided: no rule of the policy lists tool ${PROMPT_TOOL}.`,
    approvers: [],
    errors: [],
    policyDigest: set.digest,
  };
}

function answerFor(input: HookInput, decision: Decision): { stdout: string; outcome?: DecisionOutcome } {
  switch (input.hook_event_name) {
    case 'PreToolUse':
      // Whether the tool then runs is Claude Code's to say (an ask goes to the user); PostToolUse records it.
      return { stdout: `${JSON.stringify(preToolUseOutput(decision))}\n` };
    case 'UserPromptSubmit': {
      const block = promptOutput(decision);
      return block ? { stdout: `${JSON.stringify(block)}\n`, outcome: { executed: false } } : { stdout: '', outcome: { executed: true } };
    }
    case 'PostToolUse':
      return { stdout: '', outcome: { executed: true } };
    case 'PostToolUseFailure':
      return { stdout: '', outcome: { executed: true, reason: `the tool failed${input.is_interrupt === true ? ' (interrupted)' : ''}: ${clip(input.error, 500)}` } };
  }
}

function checkConfig(config: HookConfig): void {
  const bad = (what: string): never => {
    throw new WardenError('ERR_HOOK_CONFIG', `Invalid hook configuration: ${what}.`);
  };
  if (!Array.isArray(config.policyPaths) || config.policyPaths.length === 0) bad('no policy path (pass --policy or create .warden/policy.yaml)');
  if (typeof config.auditPath !== 'string' || config.auditPath === '') bad('no audit log path');
  if (typeof config.agentId !== 'string' || config.agentId === '' || config.agentId.length > 256) bad('the agent id must be 1-256 characters');
}

/**
 * The stderr text of a failure: Claude Code shows it (and, with exit code 2, blocks the call). A
 * policy that does not load lists its errors with file:line:col.
 *
 * @example
 * ```ts
 * fatalText(new WardenError('ERR_HOOK_INPUT', 'Claude Code hook input: the hook input is empty.'));
 * // 'warden: Claude Code hook input: the hook input is empty.\n'
 * ```
 */
export function fatalText(e: unknown): string {
  if (e instanceof PolicyLoadError) {
    const lines = e.issues.filter((i) => i.severity === 'error').slice(0, 20).map(formatIssue);
    return `warden: the policy did not load, so every call is blocked until it does (run warden lint on it):\n${lines.join('\n')}\n`;
  }
  if (e instanceof WardenError) return `warden: ${e.message}\n`;
  return `warden: internal error, so the call is blocked: ${e instanceof Error ? e.message : String(e)}\n`;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}
