/**
 * One hook event, start to finish: parse the input, load the policy, then the pipeline decides and
 * records (PreToolUse, UserPromptSubmit) or records the outcome (PostToolUse, PostToolUseFailure).
 *
 * Everything that can go wrong (input that is not a hook input, a policy that does not load, an
 * audit log that cannot be written) ends in exit code 2 with the reason on stderr, which Claude
 * Code treats as a block. A decision is answered only after it is recorded.
 */
import { randomUUID } from 'node:crypto';
import { formatIssue, PolicyLoadError } from '../../policy/issues.js';
import type { PolicySet } from '../../policy/policy-set.js';
import type { AgentIdentity, Outcome, WardenWarning } from '../../decision.js';
import { Pipeline } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';
import { LockedAuditLog } from './audit-log.js';
import { parseHookText, type HookInput } from './hook-input.js';
import { boundedResponse, PROMPT_TOOL, requestFor } from './mapping.js';
import { postToolUseInjectionOutput, preToolUseOutput, promptOutput, withRedactedOutput } from './output.js';
import { PolicyCache } from './policy-cache.js';
import type { CompiledPolicyCache } from '../../enforce/compiled-cache.js';
import type { Store } from '../../store/types.js';
import type { HookSandboxConfig } from './sandbox-run.js';
import type { OnnxDetector } from '../../detect/tier3-onnx.js';
import type { OutputScan } from '../../detect/output.js';

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
  /**
   * The session state store url (`sqlite:/abs/state.db`, `redis://...`, `postgres://...`), or
   * null/absent for none. With one, a PostToolUse result that carries injected instructions (or a
   * secret) adds `untrusted` (`private`) to the session's labels there, and the next PreToolUse of
   * that session reads them (`session.labels` in flow rules), even in another hook process.
   */
  state?: string | null;
  /** "Run it for you": Bash calls the policy allows are run by the hook in Warden's sandbox (sandbox-run.ts). Absent or null: off. */
  sandbox?: HookSandboxConfig | null;
  /**
   * A tier 3 ONNX model's configuration file (absolute path; agent-warden/detect
   * `loadOnnxDetectorFile`), or null/absent for none. With one, every PostToolUse response is
   * scanned by the model too: a detection or a text it cannot score marks the result (and the
   * session, with `state`) `untrusted`; a model that cannot be loaded blocks the event (exit 2).
   */
  resultModel?: string | null;
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
/** Most state stores a runtime keeps open (one per url). */
const MAX_STORES = 8;
/** Most tier 3 models a runtime keeps loaded (one per configuration file). */
const MAX_MODELS = 4;

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
  readonly #stores = new Map<string, Promise<Store>>();
  readonly #models = new Map<string, Promise<OnnxDetector>>();
  readonly #now: () => Date;

  /** `compiledCache`: the on-disk compiled-policy cache to use (none by default). */
  constructor(options: { now?: () => Date; policyCacheSize?: number; compiledCache?: CompiledPolicyCache | null } = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#policies = new PolicyCache(options.policyCacheSize, options.compiledCache ?? null);
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
      const log = this.#log(config.auditPath);
      const warnings: WardenWarning[] = [];
      // Claude Code asks the user itself: require_approval is answered `ask`, never decided here.
      const store = typeof config.state === 'string' ? await this.#store(config.state) : null;
      // The model scans responses only: PreToolUse, the hook's hot path, never loads onnxruntime.
      const model = input.hook_event_name === 'PostToolUse' && typeof config.resultModel === 'string' ? await this.#model(config.resultModel) : null;
      const pipeline = new Pipeline({
        policy: set,
        sink: log.sink(warnings),
        approval: 'defer',
        clock: this.#now,
        onWarning: (w) => warnings.push(w),
        ...(store !== null ? { state: { store } } : {}),
        ...(model !== null ? { resultModel: model } : {}),
      });
      const { request, agent } = requestFor(input, { agentId: config.agentId, projectDir, ...(config.home !== null ? { home: config.home } : {}) });
      const answer =
        config.sandbox != null && input.hook_event_name === 'PreToolUse' && input.tool_name === 'Bash'
          ? await (await import('./sandbox-run.js')).runBashInSandbox(pipeline, request, agent, projectDir, config.sandbox)
          : await this.#answer(pipeline, input, request, agent, set);
      const failed = warnings.find((w) => w.code === 'outcome_not_recorded' || w.code === 'audit_failure' || w.code === 'session_not_marked');
      if (answer.recorded === false || failed) {
        // invariant: nothing is answered that was not recorded; Claude Code blocks on exit code 2.
        return { exitCode: 2, stdout: '', stderr: `warden: the decision could not be recorded, so the call is blocked: ${failed?.message ?? answer.reason}\n` };
      }
      return { exitCode: 0, stdout: answer.stdout, stderr: warnings.map((w) => `warden: audit log: ${w.message}\n`).join('') };
    } catch (e) {
      return { exitCode: 2, stdout: '', stderr: fatalText(e) };
    }
  }

  /** Decides (or records) one event through the pipeline and says what to answer Claude Code. */
  async #answer(pipeline: Pipeline, input: HookInput, request: ReturnType<typeof requestFor>['request'], agent: AgentIdentity, set: PolicySet): Promise<{ stdout: string; recorded: boolean; reason: string }> {
    switch (input.hook_event_name) {
      case 'PreToolUse': {
        // Whether the tool then runs is Claude Code's to say (an ask goes to the user); PostToolUse records how it went.
        // (The request is built from this process's own parse of the input: handed over, not copied.)
        const { verdict } = await pipeline.decide({ request, agent, parsedJson: true });
        return { stdout: `${JSON.stringify(preToolUseOutput(verdict))}\n`, recorded: verdict.recorded, reason: verdict.reason };
      }
      case 'UserPromptSubmit': {
        if (!governsPrompts(set)) {
          const { verdict } = await pipeline.report({ request, agent }, { effect: 'allow', rule: null, policy: null, reason: `Prompts are recorded, not decided: no rule of the policy lists tool ${PROMPT_TOOL}.`, executed: true });
          return { stdout: '', recorded: verdict.recorded, reason: verdict.reason };
        }
        const { verdict } = await pipeline.decide({ request, agent, parsedJson: true });
        const block = promptOutput(verdict);
        return { stdout: block ? `${JSON.stringify(block)}\n` : '', recorded: verdict.recorded, reason: verdict.reason };
      }
      case 'PostToolUse':
      case 'PostToolUseFailure': {
        const call = typeof request.context.callId === 'string' ? request.context.callId : undefined;
        // The response is scanned whole (the record keeps a bounded copy): injected instructions and secrets.
        // Loaded here, not at start-up: PreToolUse, the hook's hot path, never pays for the detectors.
        // Claude Code lets a hook replace the response of MCP tools only (updatedMCPToolOutput): redacted when the policy says so.
        const redact = input.hook_event_name === 'PostToolUse' && input.tool_name.startsWith('mcp__') && set.redactsSecretsIn(request.tool);
        // The call was decided in another hook process: the session is named, so its labels reach the store.
        const ref = { call: call ?? randomUUID(), tool: request.tool, agent, session: input.session_id };
        let scan: OutputScan | null = null;
        if (input.hook_event_name === 'PostToolUse') {
          // The observe stage scans the response (tier 1, secrets, and the configured tier 3 model).
          scan = (await pipeline.observeResult(ref, input.tool_response, { outcome: { status: 'ok', result: boundedResponse(input.tool_response) }, redact })).scan;
        } else {
          const outcome: Outcome = { status: input.is_interrupt === true ? 'aborted' : 'error', error: { name: input.is_interrupt === true ? 'Interrupted' : 'ToolError', message: clip(input.error, 500) } };
          await pipeline.observe(ref, outcome);
        }
        const warn = scan !== null && scan.injection ? postToolUseInjectionOutput(request.tool, scan.findings) : null;
        const answer = scan !== null && redact && (scan.secrets || scan.withheld) ? withRedactedOutput(warn, request.tool, scan.withheld ? null : scan.value) : warn;
        return { stdout: answer === null ? '' : `${JSON.stringify(answer)}\n`, recorded: true, reason: '' };
      }
    }
  }

  /**
   * Closes the state stores this runtime opened (a one-event hook process calls it before it exits).
   *
   * @example
   * ```ts
   * try { await runtime.handle(text, config); } finally { await runtime.close(); }
   * ```
   */
  async close(): Promise<void> {
    const stores = [...this.#stores.values()];
    const models = [...this.#models.values()];
    this.#stores.clear();
    this.#models.clear();
    await Promise.all([...stores.map((s) => s.then((store) => store.close()).catch(() => undefined)), ...models.map((m) => m.then((model) => model.release()).catch(() => undefined))]);
  }

  /** The tier 3 model of a configuration file, loaded once per runtime; a load that failed is not kept (the next event tries again, this one is blocked). */
  #model(path: string): Promise<OnnxDetector> {
    let model = this.#models.get(path);
    if (!model) {
      if (this.#models.size >= MAX_MODELS) throw new WardenError('ERR_HOOK_CONFIG', `Invalid hook configuration: more than ${MAX_MODELS} result models in one hook server; use one --result-model.`);
      model = import('../../detect/tier3-onnx.js').then(({ loadOnnxDetectorFile }) => loadOnnxDetectorFile(path));
      model.catch(() => this.#models.delete(path));
      this.#models.set(path, model);
    }
    return model;
  }

  #store(url: string): Promise<Store> {
    let store = this.#stores.get(url);
    if (!store) {
      if (this.#stores.size >= MAX_STORES) throw new WardenError('ERR_HOOK_CONFIG', `Invalid hook configuration: more than ${MAX_STORES} state stores in one hook server; use one --state url.`);
      store = import('../../store/open.js').then(({ openStore }) => openStore(url));
      // A store that failed to open is not kept: the next event tries again (this one is blocked).
      store.catch(() => this.#stores.delete(url));
      this.#stores.set(url, store);
    }
    return store;
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
 * True when the policy decides prompts: some rule names the tool `UserPromptSubmit` in its
 * `tools:` list (prompts are otherwise recorded only).
 *
 * @example
 * ```ts
 * governsPrompts(set); // true when a rule lists tools: [UserPromptSubmit]
 * ```
 */
export function governsPrompts(set: PolicySet): boolean {
  return set.rules.some((r) => r.exactTools !== null && r.exactTools.includes(PROMPT_TOOL));
}

function checkConfig(config: HookConfig): void {
  const bad = (what: string): never => {
    throw new WardenError('ERR_HOOK_CONFIG', `Invalid hook configuration: ${what}.`);
  };
  if (!Array.isArray(config.policyPaths) || config.policyPaths.length === 0) bad('no policy path (pass --policy or create .warden/policy.yaml)');
  if (typeof config.auditPath !== 'string' || config.auditPath === '') bad('no audit log path');
  if (typeof config.agentId !== 'string' || config.agentId === '' || config.agentId.length > 256) bad('the agent id must be 1-256 characters');
  if (config.resultModel !== undefined && config.resultModel !== null && (typeof config.resultModel !== 'string' || config.resultModel === '')) bad('the result model must be the path of a model configuration file');
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
