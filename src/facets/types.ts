/**
 * What the decision function asks of the facet layer. The policy layer imports these types; the
 * facet layer never imports the policy layer.
 */

/**
 * A request as the facet layer reads it: the tool name and the arguments as CEL values (objects
 * are `Map`s, so keys such as `__proto__` are ordinary data).
 *
 * @example
 * ```ts
 * const input: FacetRequest = { tool: 'bash', args: new Map([['command', 'ls']]) };
 * ```
 */
export interface FacetRequest {
  readonly tool: string;
  readonly args: Map<string, unknown>;
  /** The request's context (as CEL values), for bindings that read it (`cwd: context.cwd`). */
  readonly context?: Map<string, unknown>;
}

/**
 * A computed facet: its CEL value, or why it could not be computed (a condition error).
 *
 * @example
 * ```ts
 * const v: FacetValue = { error: 'the sql facet failed: unterminated string' };
 * ```
 */
export type FacetValue = { value: unknown } | { error: string };

/**
 * Computes facet variables for a request. Never throws.
 *
 * @example
 * ```ts
 * const r = runtime.compute('shell', { tool: 'bash', args });
 * if ('error' in r) console.log(r.error);
 * ```
 */
export interface FacetRuntime {
  /** CEL variable names the facets provide. */
  readonly variableNames: ReadonlySet<string>;
  /** The value of facet variable `name` for this request. */
  compute(name: string, request: FacetRequest): FacetValue;
  /** Facets some binding of the set feeds (`sql`, `shell`, ...). */
  readonly bound: ReadonlySet<string>;
}

/**
 * Answers the path facet's `realpath: true` question at the edge: the facet layer does no I/O,
 * so whoever loads the policy injects this (`loadPolicyFiles()` injects one over `node:fs`).
 *
 * @example
 * ```ts
 * const resolver: RealpathResolver = { platform: 'posix', real: (p) => fs.realpathSync(p) };
 * const oneDecision = resolver.batch?.() ?? resolver;
 * ```
 */
export interface RealpathResolver {
  /** The path syntax this resolver answers for; a binding of the other syntax cannot be checked. */
  readonly platform: 'posix' | 'win32';
  /**
   * The real path of absolute `path` (symlinks resolved), or of its nearest existing ancestor
   * with the missing components appended. Throws when it cannot say (a dangling symlink, no
   * existing ancestor, an I/O error); the facet then reports the check as failed.
   */
  real(path: string): string;
  /**
   * A resolver for the calls of one decision, which may share file-system lookups among them (the
   * working directory's ancestors, walked once for every path under them). Never shared across
   * decisions: a symlink swapped between two decisions must be seen by the second.
   */
  batch?(): RealpathResolver;
  /**
   * True when the directory entry at absolute `path` cannot have been made or swapped by this
   * process's user (its parent directory is root's and writable by nobody else, and this process
   * is not root), so a symlink there is the system's, not the agent's. Absent or throwing: false.
   */
  fixedEntry?(path: string): boolean;
}

/**
 * Scans a request's arguments for injected instructions and secrets, for the `detect` facet
 * variable. Injected at the edge like {@link RealpathResolver}: the detectors live in
 * src/detect, above the core, so the facet layer cannot import them. It must be pure and
 * synchronous; it throws when the arguments cannot be scanned (the facet is then an error, so a
 * deny rule that reads it applies and an allow rule does not). `argumentDetector` from
 * agent-warden/detect is the one Warden ships; loadPolicyFiles() injects it.
 *
 * @example
 * ```ts
 * const detector: ArgumentDetector = (args) => ({ injection: { detected: false, score: 0 } });
 * ```
 */
export type ArgumentDetector = (args: unknown) => object;
