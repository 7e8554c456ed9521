/**
 * The one list of credential files and directories that policies ask about with
 * `isCredentialFile(path)` and `isCredentialFile(effect)`: token stores, `.env` files, shell and
 * database histories, cloud and cluster configuration, secrets mounted by the system, and private
 * keys ({@link isPrivateKeyPath}). Names match anywhere, read the way a case-insensitive or Windows
 * file system would (`fold`: case, `\`, trailing dots and spaces, `::$DATA`, 8.3 short names) and
 * under every percent-decoded reading; `.`, `..` and `//` are normalized first. Example files
 * (`.env.example`, `.env.sample`, `.env.template`) are not credentials.
 */
import { isPrivateKeyPath, mayBePrivateKey, pathDecoded, type PathMatchers } from './path-match.js';

/** Directories that are credential stores themselves: the directory, or anything in it. */
const CREDENTIAL_DIRS = ['.ssh', '.aws', '.gnupg', '.azure', '.kube', '.config/gcloud', '.config/gh', '.password-store'];

/** File names (or a last few components) that hold credentials wherever they are. */
const CREDENTIAL_NAMES = [
  '.env', '.env.*', '.envrc', '.npmrc', '.netrc', '_netrc', '.pypirc', '.git-credentials', '.pgpass', '.docker/config.json',
  '.vault-token', '.terraformrc', 'terraform.rc', '.terraform.d/credentials.tfrc.json', 'credentials.tfrc.json', 'secring.gpg',
  '*.tfstate', '*.tfstate.backup', '.htpasswd', '.boto', '.s3cfg', '.cargo/credentials', '.cargo/credentials.toml', '.gem/credentials',
  '.m2/settings-security.xml', '.config/hub', 'credentials.json', 'client_secret*.json', 'secrets.yaml', 'secrets.yml', '*.kdbx',
  '.bash_history', '.zsh_history', '.sh_history', '.psql_history', '.mysql_history', '.python_history', '.node_repl_history',
];

/** Absolute paths of the system's own secrets. */
const SYSTEM_SECRETS = [
  '/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-', '/etc/security/opasswd', '/proc/**/environ',
  '/run/secrets/**', '/var/run/secrets/**', '/etc/kubernetes/*.conf', '/etc/kubernetes/pki/**',
];

/** What a recursive read or write over a directory may reach besides its own name: system secrets, host keys, users' homes. */
const HELD_BELOW = [
  ...SYSTEM_SECRETS,
  '/etc/ssh/**',
  ...['/root', '/home/*', '/Users/*'].flatMap((h) => ['.ssh/**', '.aws/**', '.gnupg/**', '.config/gh/**', '.git-credentials', '.netrc', '.npmrc', '.bash_history'].map((n) => `${h}/${n}`)),
];

/** Directories a recursive read or write may not cover, though single files in them are not credentials (a project's `.docker/Dockerfile`). */
const RECURSIVE_DIRS = ['**/.docker'];

const EXAMPLES = ['.env.example', '.env.sample', '.env.template', '.env.example.*', '.env.sample.*', '.env.template.*'].map((n) => `**/${n}`);

/** Every glob a path is matched against by name. */
const ANYWHERE = [...CREDENTIAL_DIRS.flatMap((d) => [`**/${d}`, `**/${d}/**`]), ...CREDENTIAL_NAMES.map((n) => `**/${n}`), ...SYSTEM_SECRETS];

const FOLD = Object.freeze({ fold: true });
const FOLD_DECODE = Object.freeze({ fold: true, decode: true });

/**
 * The canonical lists, for documentation and lint: directories, names, system paths, and what a
 * recursive effect is checked for below it.
 *
 * @example
 * ```ts
 * CREDENTIAL_FILE_LISTS.names.includes('.pgpass'); // true
 * ```
 */
export const CREDENTIAL_FILE_LISTS = Object.freeze({
  dirs: Object.freeze([...CREDENTIAL_DIRS]),
  names: Object.freeze([...CREDENTIAL_NAMES]),
  system: Object.freeze([...SYSTEM_SECRETS]),
  heldBelow: Object.freeze([...HELD_BELOW]),
  recursiveDirs: Object.freeze([...RECURSIVE_DIRS]),
  examples: Object.freeze([...EXAMPLES]),
});

/** An example file (`.env.example`), as written and decoded; an 8.3 short name (`~1`) never is one. */
function isExample(m: PathMatchers, p: string): boolean {
  if (/~[0-9]/.test(p)) return false;
  const decoded = pathDecoded(p);
  return EXAMPLES.some((g) => m.pathMatches(p, g, FOLD) && m.pathMatches(decoded, g, FOLD));
}

/**
 * True when path `p` names a credential file or directory, or lies inside a credential directory
 * (see the module documentation); false for a non-string or empty path.
 *
 * @example
 * ```ts
 * const m = new PathMatchers();
 * isCredentialPath(m, '/home/a/.ssh/config');     // true
 * isCredentialPath(m, '/w/app/.ENV.');            // true (folded)
 * isCredentialPath(m, '/w/app/.env.example');     // false
 * isCredentialPath(m, '/w/docs/ssh-guide.md');    // false
 * ```
 */
export function isCredentialPath(m: PathMatchers, p: string): boolean {
  if (typeof p !== 'string' || p === '') return false;
  if (isPrivateKeyPath(p)) return true;
  return ANYWHERE.some((g) => m.pathMatches(p, g, FOLD_DECODE)) && !isExample(m, p);
}

/**
 * True when path effect `effect` may touch a credential file: a known, non-recursive path by
 * {@link isCredentialPath}; a known recursive one when its own directory is a credential or lies
 * in one (or is a `.docker` directory), or when a system secret or a user's credential directory may lie below it (so `grep -r`
 * over a project passes and over `/home` does not); an unknown one when any credential could be
 * where it may point (an unknown path that could be anywhere always may).
 *
 * @example
 * ```ts
 * const m = new PathMatchers();
 * mayBeCredentialFile(m, { path: '/w/.npmrc', known: true, recursive: false }); // true
 * mayBeCredentialFile(m, { path: '/w', known: true, recursive: true });         // false
 * mayBeCredentialFile(m, { path: '/home', known: true, recursive: true });      // true
 * ```
 */
export function mayBeCredentialFile(m: PathMatchers, effect: unknown): boolean {
  const known = field(effect, 'known') === true && typeof field(effect, 'path') === 'string';
  const path = known ? (field(effect, 'path') as string) : '';
  if (known && field(effect, 'recursive') !== true) return isCredentialPath(m, path);
  if (known) return isCredentialPath(m, path) || RECURSIVE_DIRS.some((g) => m.pathMatches(path, g, FOLD_DECODE)) || HELD_BELOW.some((g) => m.pathMayMatch(effect, g, FOLD_DECODE));
  return mayBePrivateKey(effect) || ANYWHERE.some((g) => m.pathMayMatch(effect, g, FOLD_DECODE));
}

function field(e: unknown, key: string): unknown {
  if (e instanceof Map) return e.get(key);
  if (e !== null && typeof e === 'object') return Object.hasOwn(e, key) ? (e as Record<string, unknown>)[key] : undefined;
  return undefined;
}
