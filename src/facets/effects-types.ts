/**
 * The shape of effects: what an action does, the same for every facet that can say it (shell,
 * SQL, paths, URLs, Kubernetes). Policies read the merged effects of a request as the CEL variable
 * `effects` (`effects.exec.size() == 0`, `effects.writes.all(w, w.known && pathWithin(w.path, '/workspace'))`).
 *
 * Unknown is never safe: a glob, a variable or a substitution in a path or host position, an
 * unparsable argument, an unknown program or SQL function is reported with `known: false` (and
 * the text as written), so a rule that must hold for every effect fails for it.
 */

/**
 * What kind of code an exec effect is, so a rule can say which it accepts:
 *
 * - `hidden`: a command a program takes from an option, its configuration or a variable rather
 *   than as its purpose (`git -c core.sshCommand`, `GIT_SSH_COMMAND`, `ssh -o ProxyCommand`,
 *   `tar --to-command`, `sed e`, `awk system()`, `npx -c`, an editor, `LD_PRELOAD`, `PATH=`), or an
 *   option or setting Warden does not model (it may be one);
 * - `hook`: the repository's hooks (`git commit`, `git checkout`, `git push`);
 * - `project`: the project's or its packages' own code (`npm run`, `npm install` lifecycle scripts,
 *   `make` recipes, `pip install` builds, `node --test`);
 * - `script`: a script file or program text piped or redirected into stdin (`bash x.sh`, `python app.py`, `curl | sh`; `via` is `stdin` for the latter);
 * - `inline`: program text on the line, not analysed (`python -c`, `node -e`, `perl -e`, a here-document fed to `node`);
 * - `module`: a module or library loaded into a program (`python -m`, `node --require`, `perl -M`);
 * - `program`: a program Warden does not model (`tsc`, `cargo`, `./configure`) or a package's program (`npx x`);
 * - `remote`: code that runs elsewhere (`ssh host cmd`, `docker run`, `kubectl exec`);
 * - `runtime`: code or a command name only known when the line runs (`$CMD`, `eval "$X"`).
 *
 * @example
 * ```ts
 * const k: ExecKind = 'hidden';
 * ```
 */
export type ExecKind = 'hidden' | 'hook' | 'project' | 'script' | 'inline' | 'module' | 'program' | 'remote' | 'runtime';

/**
 * Code that will run: an interpreter's inline code, a script file, a hook, a command hidden in
 * an option (`git -c core.sshCommand=...`), an unknown program or SQL function.
 *
 * @example
 * ```ts
 * const e: ExecEffect = { program: 'git', code: 'sh -c id', via: 'git -c core.sshCommand', reason: 'git runs core.sshCommand to connect', known: true, kind: 'hidden' };
 * ```
 */
export interface ExecEffect {
  /** The program or function that runs the code (`sh`, `node`, `make`, `pg:query_to_xml`). */
  program: string;
  /** The code, command or file that will run, as far as it is known ('' when not). */
  code: string;
  /** Where it came from in the action (`-c`, `NODE_OPTIONS`, `Makefile`, `COPY ... TO PROGRAM`). */
  via: string;
  /** Why this counts as code execution, for people. */
  reason: string;
  /**
   * False when what runs cannot be known (an unknown program, a variable, a repository script).
   * True means the code is on the line; it is analysed only when it is shell (`bash -c`, a hidden
   * shell command), not when it is another language (`python -c`).
   */
  known: boolean;
  /**
   * What kind of code this is ({@link ExecKind}). Added to the shape so a rule can tell the
   * repository's hooks from a hidden command from a build tool without matching `via` text.
   * Filled in by the merge (`program` when a facet does not say), so it is always present in CEL.
   */
  kind?: ExecKind;
}

/**
 * A network destination the action reaches.
 *
 * @example
 * ```ts
 * const e: NetworkEffect = { host: 'evil.com', port: 443, scheme: 'https', via: 'curl', known: true };
 * ```
 */
export interface NetworkEffect {
  /** Normalized host (lower case, punycode, IPv4 dotted), or the text as written when not known. */
  host: string;
  /** Port, or 0 when not known. */
  port: number;
  /** Scheme (`https`, `ssh`, `tcp`), or '' when not known. */
  scheme: string;
  via: string;
  /** False when the destination cannot be known (a variable, a glob). */
  known: boolean;
}

/**
 * A file-system location the action reads, writes or deletes.
 *
 * @example
 * ```ts
 * const e: PathEffect = { path: '/home/dev/.ssh/authorized_keys', via: '>>', known: true };
 * ```
 */
export interface PathEffect {
  /** Absolute, normalized path (resolved against the working directory or facet root); the text as written when not known. */
  path: string;
  via: string;
  /** False when the path cannot be known (a glob, a variable, an unexpanded `~`): it may be any path. */
  known: boolean;
  /**
   * The effect reaches everything under `path` too (`rm -r`, `find -delete`, `cp -r`, `tar -x`,
   * `git checkout .`). Added to the shape because deleting or overwriting a directory touches the
   * protected files inside it (`rm -rf .` deletes `.warden/policy.yaml`). Filled in by the merge
   * (default false), so it is always present in CEL.
   */
  recursive?: boolean;
  /**
   * A directory the path certainly lies in: `path` itself when known; for an unknown path, the
   * directory its static part pins down (`/workspace/src` for `/workspace/src/*.ts`), or `''`
   * when it could be anywhere (a variable, `~` without a home, a `..` a glob may produce). Added so
   * an allow rule can confine a glob without guessing (`effectWithin`). Filled in by the merge.
   */
  within?: string;
  /**
   * Present on an unknown path that only a glob leaves unknown (no variable, no substitution):
   * the absolute pattern it expands from (`/w/src/*.ts` for `src/*.ts` in `/w`), so
   * `pathMayMatch` and `isPrivateKey` can tell that `*.ts` never names `.env`. Absent otherwise.
   */
  glob?: string;
}

/**
 * Privilege the action gains or changes (`sudo`, setuid bits, `chown`, `SET ROLE`, `ALTER SYSTEM`).
 *
 * @example
 * ```ts
 * const e: PrivilegeEffect = { kind: 'sudo', via: 'sudo', reason: 'runs the command as root' };
 * ```
 */
export interface PrivilegeEffect {
  kind: string;
  via: string;
  reason: string;
}

/**
 * Everything an action does, as far as the facets can tell.
 *
 * @example
 * ```ts
 * const none: Effects = { exec: [], network: [], reads: [], writes: [], deletes: [], privilege: [], complete: true, unknown: [] };
 * ```
 */
export interface Effects {
  exec: ExecEffect[];
  network: NetworkEffect[];
  reads: PathEffect[];
  writes: PathEffect[];
  deletes: PathEffect[];
  privilege: PrivilegeEffect[];
  /** True when the analysis covered the whole action; false when any part could not be analysed. */
  complete: boolean;
  /** Why the analysis is incomplete, one reason per part ([] when complete). */
  unknown: string[];
}
