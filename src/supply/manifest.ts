/**
 * `warden-plugin.json`: what a plugin is (name, version, entry points, the tools it provides and
 * their definitions' hashes), what it asks for (tools, egress hosts, paths), and the hash of every
 * file and every resolved dependency, signed by its publisher's Ed25519 did:key over canonical
 * JSON with the purpose `plugin-manifest` (domain separation: the signature verifies for nothing
 * else). Read strictly: a repeated key, a prototype key (`__proto__`, `constructor`, `prototype`),
 * an unknown member or an unsafe path is refused, never guessed.
 */
import { parseJsonText } from '../lib/json-text.js';
import { isEd25519DidKey } from '../identity/did-key.js';
import { SupplyError } from './errors.js';

/** The file name of a plugin manifest, at the root of the plugin directory. */
export const MANIFEST_FILE = 'warden-plugin.json';
/** The `kind` of a plugin manifest. */
export const MANIFEST_KIND = 'agent-warden/plugin';
/** The signature purpose of a plugin manifest (see identity's `sign`). */
export const MANIFEST_PURPOSE = 'plugin-manifest';
/** Limits: files and dependencies listed, bytes of a manifest. */
export const MAX_FILES = 10_000;
export const MAX_DEPENDENCIES = 10_000;
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

/**
 * A tool the plugin provides: its name and the `sha256:` digest of the canonical JSON of its
 * definition (the MCP `Tool` object: name, description, inputSchema, annotations).
 *
 * @example
 * ```ts
 * const t: PluginTool = { name: 'forecast', definition: 'sha256:0f1e...' };
 * ```
 */
export interface PluginTool {
  name: string;
  definition: string;
}

/**
 * What the plugin asks for: the tools it may call, the hosts it may reach, the directories it may
 * read and write. Empty lists grant nothing.
 *
 * @example
 * ```ts
 * const p: PluginPermissions = { tools: ['forecast'], egress: ['api.weather.example'], paths: ['/workspace/cache'] };
 * ```
 */
export interface PluginPermissions {
  tools: string[];
  egress: string[];
  paths: string[];
}

/**
 * A resolved dependency as package-lock.json records it.
 *
 * @example
 * ```ts
 * const d: PluginDependency = { version: '1.2.3', integrity: 'sha512-...' };
 * ```
 */
export interface PluginDependency {
  version: string;
  integrity: string;
}

/**
 * A signed plugin manifest.
 *
 * @example
 * ```ts
 * const m: PluginManifest = JSON.parse(readFileSync('plugins/weather/warden-plugin.json', 'utf8'));
 * ```
 */
export interface PluginManifest {
  kind: typeof MANIFEST_KIND;
  version: 1;
  name: string;
  pluginVersion: string;
  /** Module files the host imports, relative to the plugin directory; each is one of `files`. */
  entry: string[];
  tools: PluginTool[];
  permissions: PluginPermissions;
  /** Every file of the plugin (but the manifest and node_modules): relative path to `sha256:<hex>`. */
  files: Record<string, string>;
  /** Every resolved dependency of package-lock.json: its `node_modules/...` path to version and integrity. */
  dependencies: Record<string, PluginDependency>;
  /** The publisher's Ed25519 did:key. */
  publisher: string;
  /** ISO-8601 time of signing. */
  signedAt: string;
  /** base64url Ed25519 signature (purpose `plugin-manifest`) over the manifest without `signature`. */
  signature: string;
}

const TOP = ['kind', 'version', 'name', 'pluginVersion', 'entry', 'tools', 'permissions', 'files', 'dependencies', 'publisher', 'signedAt', 'signature'];
const NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]{0,213}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const INTEGRITY = /^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$/;
const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Checks that `path` is a safe relative POSIX path inside a plugin directory: no leading `/`, no
 * drive letter, no backslash, no `.`, `..` or empty segment, no NUL or control character.
 *
 * @example
 * ```ts
 * checkRelativePath('dist/index.js', 'files'); // ok
 * checkRelativePath('../outside.js', 'files');  // throws SupplyError unsafe_path
 * ```
 */
export function checkRelativePath(path: string, where: string): void {
  const bad = (why: string): never => {
    throw new SupplyError('unsafe_path', `${where}: ${JSON.stringify(path)} ${why}; paths are relative to the plugin directory, with / between names.`);
  };
  if (typeof path !== 'string' || path === '' || path.length > 4096) bad('is empty or too long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) bad('holds a backslash or a control character');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) bad('is absolute');
  for (const seg of path.split('/')) if (seg === '' || seg === '.' || seg === '..') bad('has an empty, "." or ".." segment');
}

/**
 * Parses and checks the text of a manifest (without verifying its signature).
 *
 * @example
 * ```ts
 * const manifest = parseManifest(readFileSync('warden-plugin.json', 'utf8'));
 * ```
 * @throws SupplyError `malformed` (with what is wrong) or `unsafe_path`.
 */
export function parseManifest(text: string): PluginManifest {
  if (typeof text !== 'string' || text.length > MAX_MANIFEST_BYTES) throw new SupplyError('too_large', `A plugin manifest is at most ${MAX_MANIFEST_BYTES} bytes.`);
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new SupplyError('malformed', `The plugin manifest is not valid JSON: ${parsed.error}.`);
  rejectPrototypeKeys(parsed.value, 'manifest');
  return checkManifest(parsed.value);
}

/**
 * Checks a parsed manifest's shape; returns it typed.
 *
 * @example
 * ```ts
 * const manifest = checkManifest(JSON.parse(text));
 * ```
 * @throws SupplyError `malformed` or `unsafe_path`.
 */
export function checkManifest(value: unknown): PluginManifest {
  const m = objectAt(value, 'manifest');
  for (const k of Object.keys(m)) if (!TOP.includes(k)) bad('manifest', `has an unknown member ${JSON.stringify(k)}`);
  if (m.kind !== MANIFEST_KIND) bad('kind', `must be ${JSON.stringify(MANIFEST_KIND)}`);
  if (m.version !== 1) bad('version', 'must be 1');
  if (typeof m.name !== 'string' || !NAME.test(m.name)) bad('name', 'must be an npm-style package name');
  if (typeof m.pluginVersion !== 'string' || m.pluginVersion === '' || m.pluginVersion.length > 64) bad('pluginVersion', 'must be a version string');
  if (!isEd25519DidKey(m.publisher)) bad('publisher', 'must be an Ed25519 did:key');
  if (typeof m.signedAt !== 'string' || Number.isNaN(Date.parse(m.signedAt))) bad('signedAt', 'must be an ISO-8601 time');
  if (typeof m.signature !== 'string' || m.signature === '') bad('signature', 'must be a base64url signature');
  const files = objectAt(m.files, 'files');
  const names = Object.keys(files);
  if (names.length > MAX_FILES) throw new SupplyError('too_large', `A manifest lists at most ${MAX_FILES} files.`);
  for (const f of names) {
    checkRelativePath(f, 'files');
    if (f === MANIFEST_FILE || f.split('/')[0] === 'node_modules') bad('files', `must not list ${JSON.stringify(f)} (the manifest itself and node_modules are covered otherwise)`);
    if (typeof files[f] !== 'string' || !DIGEST.test(files[f] as string)) bad(`files[${JSON.stringify(f)}]`, 'must be sha256:<64 hex>');
  }
  const entry = stringList(m.entry, 'entry');
  for (const e of entry) {
    checkRelativePath(e, 'entry');
    if (!Object.hasOwn(files, e)) throw new SupplyError('entry', `The entry point ${JSON.stringify(e)} is not one of the manifest's files.`);
  }
  if (!Array.isArray(m.tools)) bad('tools', 'must be a list');
  const tools = (m.tools as unknown[]).map((t, i) => {
    const o = objectAt(t, `tools[${i}]`);
    for (const k of Object.keys(o)) if (k !== 'name' && k !== 'definition') bad(`tools[${i}]`, `has an unknown member ${JSON.stringify(k)}`);
    if (typeof o.name !== 'string' || o.name === '' || o.name.length > 128) bad(`tools[${i}].name`, 'must be a tool name');
    if (typeof o.definition !== 'string' || !DIGEST.test(o.definition)) bad(`tools[${i}].definition`, 'must be sha256:<64 hex>');
    return { name: o.name as string, definition: o.definition as string };
  });
  const p = objectAt(m.permissions, 'permissions');
  for (const k of Object.keys(p)) if (!['tools', 'egress', 'paths'].includes(k)) bad('permissions', `has an unknown member ${JSON.stringify(k)}`);
  const permissions: PluginPermissions = { tools: stringList(p.tools, 'permissions.tools'), egress: stringList(p.egress, 'permissions.egress'), paths: stringList(p.paths, 'permissions.paths') };
  for (const h of permissions.egress) if (!HOST.test(h)) bad('permissions.egress', `${JSON.stringify(h)} is not a lower-case host name (no scheme, port, wildcard or trailing dot)`);
  for (const d of permissions.paths) if (!d.startsWith('/') || d.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..') || d.includes('\\') || /[*?[\]{}~$'"]/.test(d)) {
    if (d !== '/') bad('permissions.paths', `${JSON.stringify(d)} is not a normalized absolute directory without globs`);
  }
  const deps = objectAt(m.dependencies, 'dependencies');
  if (Object.keys(deps).length > MAX_DEPENDENCIES) throw new SupplyError('too_large', `A manifest lists at most ${MAX_DEPENDENCIES} dependencies.`);
  const dependencies: Record<string, PluginDependency> = {};
  for (const [k, v] of Object.entries(deps)) {
    checkDependencyPath(k);
    const d = objectAt(v, `dependencies[${JSON.stringify(k)}]`);
    for (const key of Object.keys(d)) if (key !== 'version' && key !== 'integrity') bad(`dependencies[${JSON.stringify(k)}]`, `has an unknown member ${JSON.stringify(key)}`);
    if (typeof d.version !== 'string' || d.version === '') bad(`dependencies[${JSON.stringify(k)}].version`, 'must be a version');
    if (typeof d.integrity !== 'string' || !INTEGRITY.test(d.integrity)) bad(`dependencies[${JSON.stringify(k)}].integrity`, 'must be a Subresource Integrity hash (sha512-...)');
    dependencies[k] = { version: d.version as string, integrity: d.integrity as string };
  }
  return {
    kind: MANIFEST_KIND,
    version: 1,
    name: m.name as string,
    pluginVersion: m.pluginVersion as string,
    entry,
    tools,
    permissions,
    files: Object.fromEntries(names.map((n) => [n, files[n] as string])),
    dependencies,
    publisher: m.publisher as string,
    signedAt: m.signedAt as string,
    signature: m.signature as string,
  };
}

/**
 * The signed part of a manifest: all of it but `signature`.
 *
 * @example
 * ```ts
 * verify(m.publisher, MANIFEST_PURPOSE, signedBody(m), m.signature);
 * ```
 */
export function signedBody(manifest: PluginManifest): Omit<PluginManifest, 'signature'> {
  const { signature: _signature, ...body } = manifest;
  return body;
}

export { toolDefinitionDigest } from './tool-definition.js';

/**
 * Checks a `node_modules/...` path of package-lock.json: each segment safe, under node_modules.
 *
 * @example
 * ```ts
 * checkDependencyPath('node_modules/@scope/pkg/node_modules/dep'); // ok
 * ```
 */
export function checkDependencyPath(path: string): void {
  checkRelativePath(path, 'dependencies');
  if (!path.startsWith('node_modules/')) throw new SupplyError('malformed', `dependencies: ${JSON.stringify(path)} is not a node_modules/ path of package-lock.json.`);
}

/**
 * Throws `malformed` when any object in `value` has a `__proto__`, `constructor` or `prototype` key.
 *
 * @example
 * ```ts
 * rejectPrototypeKeys(JSON.parse('{"__proto__":{}}'), 'manifest'); // throws SupplyError malformed
 * ```
 */
export function rejectPrototypeKeys(value: unknown, where: string, depth = 0): void {
  if (depth > 64) throw new SupplyError('malformed', `${where}: nested deeper than 64 levels.`);
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => rejectPrototypeKeys(v, `${where}[${i}]`, depth + 1));
    return;
  }
  for (const k of Object.keys(value)) {
    if (PROTO_KEYS.has(k)) throw new SupplyError('malformed', `${where}: the key ${JSON.stringify(k)} is not allowed (a prototype key).`);
    rejectPrototypeKeys((value as Record<string, unknown>)[k], `${where}.${k}`, depth + 1);
  }
}

function bad(where: string, what: string): never {
  throw new SupplyError('malformed', `The plugin manifest's ${where} ${what}.`);
}

function objectAt(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(where, 'must be an object');
  return v as Record<string, unknown>;
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) bad(where, 'must be a list of non-empty strings');
  const list = [...(v as string[])];
  if (new Set(list).size !== list.length) bad(where, 'repeats an item');
  return list;
}
