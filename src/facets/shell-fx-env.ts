/**
 * Environment variables as effects: assigning one of these (`NAME=value cmd`, `export`, `env`,
 * `sudo NAME=value`) makes a program run code taken from the value, load code from where it
 * points, or reach another destination. Data, one line per variable family.
 *
 * Internal to the shell effects; not part of the public surface.
 */

/** How a program uses the value of a variable. */
export type EnvUse =
  /** The value is a shell command (`GIT_SSH_COMMAND`, `PAGER`). */
  | 'command'
  /** The value names code to load or run (`BASH_ENV`, `LD_PRELOAD`, `PYTHONSTARTUP`). */
  | 'file'
  /** The value holds options, some of which load code (`NODE_OPTIONS=--require x`). */
  | 'options'
  /** The value is a search path for programs or modules (`PATH`, `PYTHONPATH`). */
  | 'search'
  /** The value selects configuration that can hold commands (`HOME`, `GIT_CONFIG_GLOBAL`, `KUBECONFIG`). */
  | 'config'
  /** The value is a proxy or an index: traffic goes there (`https_proxy`, `GOPROXY=a,b|c`, `PIP_INDEX_URL`). */
  | 'proxy'
  /**
   * The value names a file or directory the program writes (`NODE_V8_COVERAGE=dir`,
   * `GIT_TRACE=/path`); for git's trace variables `1`, `true` or a descriptor number print to
   * stderr instead, and `af_unix:path` writes to a socket there.
   */
  | 'write';

const EXACT: ReadonlyMap<string, EnvUse> = new Map<string, EnvUse>([
  // Shells: run or source code from these.
  ['BASH_ENV', 'file'],
  ['ENV', 'file'],
  ['PROMPT_COMMAND', 'command'],
  ['PS0', 'command'],
  ['PS1', 'command'],
  ['PS2', 'command'],
  ['PS3', 'command'],
  ['PS4', 'command'],
  ['SHELLOPTS', 'options'],
  ['BASHOPTS', 'options'],
  ['ZDOTDIR', 'config'],
  ['INPUTRC', 'config'],
  ['SHELL', 'command'],
  ['CDPATH', 'search'],
  // The dynamic loader and C library.
  ['LD_PRELOAD', 'file'],
  ['LD_AUDIT', 'file'],
  ['LD_LIBRARY_PATH', 'search'],
  ['DYLD_INSERT_LIBRARIES', 'file'],
  ['DYLD_LIBRARY_PATH', 'search'],
  ['GCONV_PATH', 'search'],
  ['OPENSSL_CONF', 'config'],
  ['OPENSSL_ENGINES', 'search'],
  // Program search.
  ['PATH', 'search'],
  // Language runtimes.
  ['NODE_OPTIONS', 'options'],
  ['NODE_PATH', 'search'],
  ['NODE_V8_COVERAGE', 'write'],
  ['NODE_REDIRECT_WARNINGS', 'write'],
  ['NODE_REPL_HISTORY', 'write'],
  ['PYTHONSTARTUP', 'file'],
  ['PYTHONPATH', 'search'],
  ['PYTHONHOME', 'search'],
  ['PYTHONUSERBASE', 'search'],
  ['PYTHONINSPECT', 'options'],
  ['PERL5OPT', 'options'],
  ['PERL5LIB', 'search'],
  ['PERLLIB', 'search'],
  ['PERL5DB', 'command'],
  ['RUBYOPT', 'options'],
  ['RUBYLIB', 'search'],
  ['JAVA_TOOL_OPTIONS', 'options'],
  ['_JAVA_OPTIONS', 'options'],
  ['JDK_JAVA_OPTIONS', 'options'],
  ['CLASSPATH', 'search'],
  ['PHPRC', 'config'],
  ['PHP_INI_SCAN_DIR', 'config'],
  ['GOFLAGS', 'options'],
  ['RUSTC_WRAPPER', 'command'],
  ['RUSTFLAGS', 'options'],
  ['CARGO_HOME', 'config'],
  // Build tools.
  ['MAKEFLAGS', 'options'],
  ['MFLAGS', 'options'],
  ['MAKEFILES', 'file'],
  ['CC', 'command'],
  ['CXX', 'command'],
  ['LD', 'command'],
  ['CPP', 'command'],
  ['AR', 'command'],
  // Editors, pagers and helpers other programs start.
  ['EDITOR', 'command'],
  ['VISUAL', 'command'],
  ['PAGER', 'command'],
  ['MANPAGER', 'command'],
  ['MANOPT', 'options'],
  ['LESSOPEN', 'command'],
  ['LESSCLOSE', 'command'],
  ['LESSKEY', 'config'],
  ['BROWSER', 'command'],
  ['SSH_ASKPASS', 'command'],
  ['SUDO_ASKPASS', 'command'],
  ['SUDO_EDITOR', 'command'],
  ['TAR_OPTIONS', 'options'],
  ['GZIP', 'options'],
  ['ZIPOPT', 'options'],
  ['RSYNC_RSH', 'command'],
  ['RSYNC_CONNECT_PROG', 'command'],
  ['CVS_RSH', 'command'],
  ['TERMINFO', 'config'],
  // Configuration homes: where programs read config files that can hold commands.
  ['HOME', 'config'],
  ['XDG_CONFIG_HOME', 'config'],
  ['XDG_CONFIG_DIRS', 'config'],
  ['XDG_DATA_HOME', 'config'],
  ['KUBECONFIG', 'config'],
  ['DOCKER_CONFIG', 'config'],
  ['DOCKER_HOST', 'proxy'],
  ['CURL_HOME', 'config'],
  ['WGETRC', 'config'],
  ['NPMRC', 'config'],
  ['PIP_CONFIG_FILE', 'config'],
  ['PIP_INDEX_URL', 'proxy'],
  ['PIP_EXTRA_INDEX_URL', 'proxy'],
  ['PIP_FIND_LINKS', 'proxy'],
  // Package indexes and module proxies given by variable: downloads come from there.
  ['GOPROXY', 'proxy'],
  ['UV_INDEX_URL', 'proxy'],
  ['UV_EXTRA_INDEX_URL', 'proxy'],
  ['UV_DEFAULT_INDEX', 'proxy'],
  ['UV_INDEX', 'proxy'],
  ['YARN_REGISTRY', 'proxy'],
  ['YARN_NPM_REGISTRY_SERVER', 'proxy'],
  ['BUN_CONFIG_REGISTRY', 'proxy'],
  ['TWINE_REPOSITORY_URL', 'proxy'],
  ['RUSTUP_DIST_SERVER', 'proxy'],
  ['SSH_CONFIG', 'config'],
  ['GNUPGHOME', 'config'],
  // Proxies.
  ['http_proxy', 'proxy'],
  ['https_proxy', 'proxy'],
  ['ftp_proxy', 'proxy'],
  ['all_proxy', 'proxy'],
  ['HTTP_PROXY', 'proxy'],
  ['HTTPS_PROXY', 'proxy'],
  ['FTP_PROXY', 'proxy'],
  ['ALL_PROXY', 'proxy'],
]);

// Git variables that only label or silence: everything else under GIT_ can run code (GIT_SSH_COMMAND,
// GIT_PAGER, GIT_EDITOR, GIT_EXTERNAL_DIFF, GIT_ASKPASS, GIT_PROXY_COMMAND), point git at another
// repository or configuration (GIT_DIR, GIT_CONFIG_*, GIT_EXEC_PATH, GIT_TEMPLATE_DIR), or write files (GIT_TRACE=/path).
const GIT_HARMLESS = new Set([
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
  'GIT_TERMINAL_PROMPT',
  'GIT_OPTIONAL_LOCKS',
  'GIT_FLUSH',
  'GIT_MERGE_AUTOEDIT',
  'GIT_ADVICE',
]);
// invariant: anchored alternation of literals; linear. (GIT_TRACE_REDACT and GIT_TRACE_CURL_NO_DATA are switches.)
const GIT_TRACES = /^GIT_TRACE(|_PACKET|_PACK_ACCESS|_PACKFILE|_PERFORMANCE|_SETUP|_SHALLOW|_CURL|_FSMONITOR|2|2_EVENT|2_PERF)$/;
const GIT_HARMLESS_SWITCHES = ['GIT_TRACE_REDACT', 'GIT_TRACE_CURL_NO_DATA', 'GIT_TRACE2_EVENT_NESTING', 'GIT_TRACE2_CONFIG_PARAMS', 'GIT_TRACE2_ENV_VARS', 'GIT_TRACE2_MAX_FILES', 'GIT_TRACE2_PERF_BRIEF', 'GIT_TRACE2_BRIEF'];
for (const n of GIT_HARMLESS_SWITCHES) GIT_HARMLESS.add(n);
const GIT_COMMANDS = new Set(['GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_PAGER', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_EXTERNAL_DIFF', 'GIT_ASKPASS', 'GIT_PROXY_COMMAND']);

/**
 * How assigning `name` affects what programs run or reach, or undefined when it does not.
 *
 * @example
 * ```ts
 * envUse('GIT_SSH_COMMAND'); // 'command'
 * envUse('NODE_ENV');        // undefined
 * ```
 */
export function envUse(name: string): EnvUse | undefined {
  const exact = EXACT.get(name);
  if (exact !== undefined) return exact;
  if (name.startsWith('BASH_FUNC_')) return 'command';
  if (name.startsWith('LD_') || name.startsWith('DYLD_')) return 'options';
  if (name.startsWith('GIT_')) return GIT_HARMLESS.has(name) ? undefined : GIT_COMMANDS.has(name) ? 'command' : GIT_TRACES.test(name) ? 'write' : 'config';
  // npm reads every npm_config_* variable as configuration (script-shell, node-options, ...).
  if (/^npm_config_/i.test(name)) return 'config';
  return undefined;
}
