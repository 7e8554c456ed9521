/**
 * Policy documents in other languages (Cedar, Rego) inside a `warden/v1` policy set.
 *
 * The core only reads such a document (`kind: CedarPolicy` / `kind: RegoPolicy`) and composes the
 * verdicts of its evaluator with the YAML rules, deny-overrides. The evaluator itself (a WebAssembly
 * engine) is made at the edge and injected through `CompileOptions.backends`, so this folder stays
 * pure and synchronous: src/backends/ builds them, loadPolicyFiles() attaches them.
 */
import type { AgentIdentity } from '../decision.js';
import type { SourcePos } from './source-pos.js';

/** The languages a policy set can hold besides Warden's own YAML rules. */
export type BackendLanguage = 'cedar' | 'rego';

/** The document kinds that carry another language, by language. */
export const BACKEND_KINDS: Readonly<Record<string, BackendLanguage>> = Object.freeze({ CedarPolicy: 'cedar', RegoPolicy: 'rego' });


/**
 * A validated `kind: CedarPolicy` or `kind: RegoPolicy` document.
 *
 * @example
 * ```ts
 * const doc: BackendDocument = { language: 'cedar', name: 'guards', default: 'deny', text: 'forbid (principal, action, resource);', source: 'p.yaml', pos: { file: 'p.yaml', line: 1, col: 1 } };
 * ```
 */
export interface BackendDocument {
  language: BackendLanguage;
  /** The policy name (unique in the set, like a YAML policy's). */
  name: string;
  description?: string;
  /** Taken part in the set's default like a YAML policy's `default:`; `deny` when omitted. */
  default: 'allow' | 'deny';
  /** The Cedar policies, or the Rego module. */
  text: string;
  /** Cedar only: a schema (Cedar schema syntax) the policies are validated against at load, strictly. */
  schema?: string;
  /** Rego only: the rule evaluated, as `data.<package path>.<rule>`; `data.<package>.decision` when omitted. */
  query?: string;
  /** Rego only: the set's data tree (its `kind: PolicyData` documents), the module's base document `data`. */
  data?: Record<string, unknown>;
  /** The source (file) the document came from. */
  source: string;
  pos: SourcePos;
}

/**
 * What a backend is asked: the validated request, as decide() sees it.
 *
 * @example
 * ```ts
 * const input: BackendInput = { tool: 'read_file', args: { path: '/tmp/a' }, agent: { id: 'a1' }, context: {} };
 * ```
 */
export interface BackendInput {
  tool: string;
  args: Record<string, unknown>;
  agent: AgentIdentity | Record<string, unknown>;
  context: Record<string, unknown>;
  /** The decision's time, when the caller gave one. */
  now?: Date;
}

/**
 * A backend's answer: an effect with the rule that decided, or no opinion (`effect: null`).
 *
 * @example
 * ```ts
 * const v: BackendVerdict = { effect: 'deny', rule: 'no-prod-writes', reason: 'writes to prod are forbidden' };
 * ```
 */
export interface BackendVerdict {
  effect: 'allow' | 'deny' | 'require_approval' | null;
  /** The backend's id of the rule or policy that decided. */
  rule: string | null;
  /** Its own reason, when it gave one. */
  reason?: string | null;
  /** For `require_approval`: who may approve. */
  approvers?: readonly string[];
}

/**
 * One loaded document's evaluator. `decide` is synchronous and may throw: the set turns a throw
 * into a deny that names the document and the error (fail closed).
 *
 * @example
 * ```ts
 * const evaluator: BackendEvaluator = { language: 'cedar', decide: () => ({ effect: null, rule: null }) };
 * ```
 */
export interface BackendEvaluator {
  readonly language: BackendLanguage;
  decide(input: BackendInput): BackendVerdict;
}

/**
 * Makes evaluators for documents of one language, at load. Throws `Error` with a message saying
 * what is wrong (a parse or validation error, a missing engine): the load fails with it.
 *
 * @example
 * ```ts
 * const backends: PolicyBackends = { cedar: await cedarBackend() };
 * compilePolicy(sources, { backends });
 * ```
 */
export type BackendFactory = (document: BackendDocument) => BackendEvaluator;

/**
 * The engines a compile may use, by language (src/backends/ builds them; loadPolicyFiles()
 * attaches the ones the sources need).
 *
 * @example
 * ```ts
 * const backends: PolicyBackends = { cedar: await cedarBackend(), rego: regoBackend({ opa: '/usr/local/bin/opa' }) };
 * ```
 */
export interface PolicyBackends {
  cedar?: BackendFactory;
  rego?: BackendFactory;
}
