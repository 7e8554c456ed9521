/**
 * Loading an Agent Control Specification manifest (0.3.1-beta, sections 2 to 4, 9, 10, 12) and
 * validating it before any evaluation uses it. Every problem is refused at load with
 * `ERR_ACS_MANIFEST`, whose message carries `runtime_error:manifest_invalid` and names the member.
 */
import { parse as parseYaml } from 'yaml';
import { WardenError } from '../errors.js';
import { parseAcsPath, type AcsPath, type AcsPathRoot } from './paths.js';

/** The eight intervention points, in loop order (specification section 4). */
export const ACS_INTERVENTION_POINTS = Object.freeze([
  'agent_startup',
  'input',
  'pre_model_call',
  'post_model_call',
  'pre_tool_call',
  'post_tool_call',
  'output',
  'agent_shutdown',
] as const);

/**
 * One intervention point name.
 *
 * @example
 * ```ts
 * const point: AcsInterventionPoint = 'pre_tool_call';
 * ```
 */
export type AcsInterventionPoint = (typeof ACS_INTERVENTION_POINTS)[number];

/** The two tool intervention points, the only ones with `tool_name_from`. */
export const ACS_TOOL_POINTS: readonly AcsInterventionPoint[] = Object.freeze(['pre_tool_call', 'post_tool_call']);

/** Largest manifest text accepted, in characters. */
export const MAX_ACS_MANIFEST_CHARS = 1_000_000;

/**
 * A policy definition (`policies.<id>`): its `type` and the rest of its members as written.
 *
 * @example
 * ```ts
 * const p: AcsPolicyDefinition = { type: 'rego', query: 'data.acs.verdict' };
 * ```
 */
export interface AcsPolicyDefinition {
  type: 'rego' | 'cedar' | 'test' | 'custom';
  [member: string]: unknown;
}

/**
 * An intervention point's configuration, validated, with its paths parsed.
 *
 * @example
 * ```ts
 * const m = loadAcsManifest(text);
 * m.interventionPoints.get('input')?.policyTarget.text; // '$snap.input'
 * ```
 */
export interface AcsPointConfig {
  readonly policyTarget: AcsPath;
  readonly policyTargetKind: string | null;
  readonly toolNameFrom: AcsPath | null;
  /** Annotator name to its binding (`from` parsed; other members as written), in ascending name order. */
  readonly annotations: ReadonlyMap<string, { from: AcsPath; binding: Readonly<Record<string, unknown>> }>;
  /** The binding: `id` and any host-defined members (`query`, ...). */
  readonly policy: Readonly<{ id: string } & Record<string, unknown>>;
}

/**
 * A validated manifest.
 *
 * @example
 * ```ts
 * const m: AcsManifest = loadAcsManifest('agent_control_specification_version: 0.3.1-beta\n...');
 * ```
 */
export interface AcsManifest {
  readonly version: string;
  readonly metadata: unknown;
  readonly policies: ReadonlyMap<string, Readonly<AcsPolicyDefinition>>;
  readonly interventionPoints: ReadonlyMap<AcsInterventionPoint, AcsPointConfig>;
  readonly tools: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly annotators: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** The `approval` section as written (not interpreted by the runtime). */
  readonly approval: unknown;
}

const TOP_KEYS = ['agent_control_specification_version', 'metadata', 'extends', 'policies', 'intervention_points', 'tools', 'annotators', 'approval'];
const POINT_KEYS = ['policy_target', 'policy_target_kind', 'tool_name_from', 'annotations', 'policy'];
const POLICY_TYPES = ['rego', 'cedar', 'test', 'custom'];
const ANNOTATOR_TYPES = ['classifier', 'llm', 'endpoint'];
const PROMPT_SOURCES = ['prompt', 'system_prompt', 'system_prompt_file', 'system_prompt_url'];

function fail(where: string, what: string): never {
  throw new WardenError('ERR_ACS_MANIFEST', `runtime_error:manifest_invalid: ${where} ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function path(value: unknown, where: string, roots: readonly AcsPathRoot[], extra?: (p: AcsPath) => string | null): AcsPath {
  const p = parseAcsPath(value);
  if (typeof p === 'string') fail(where, `is not a valid path: ${p}.`);
  if (!roots.includes(p.root)) fail(where, `uses root ${p.text.split(/[.[]/)[0]}; it allows ${roots.map((r) => (r === 'snap' ? '$snap (or $)' : `$${r}`)).join(', ')}.`);
  const problem = extra?.(p) ?? null;
  if (problem !== null) fail(where, problem);
  return p;
}

function pinnedUrl(v: unknown, where: string, pinRequired: boolean): void {
  if (!isObject(v)) fail(where, 'must be an object { url, sha256 | integrity }.');
  for (const k of Object.keys(v)) if (!['url', 'integrity', 'sha256'].includes(k)) fail(`${where}.${k}`, 'is not a member of a URL reference (url, integrity, sha256).');
  if (!nonEmptyString(v.url) || !v.url.startsWith('https://')) fail(`${where}.url`, 'must be an https:// URL.');
  if (v.integrity !== undefined && (typeof v.integrity !== 'string' || !/^sha256-[A-Za-z0-9+/_=-]+$/.test(v.integrity))) fail(`${where}.integrity`, 'must be sha256-<base64>.');
  if (v.sha256 !== undefined && (typeof v.sha256 !== 'string' || !/^[A-Fa-f0-9]{64}$/.test(v.sha256))) fail(`${where}.sha256`, 'must be 64 hexadecimal digits.');
  if (v.integrity !== undefined && v.sha256 !== undefined) fail(where, 'has both integrity and sha256; give one.');
  if (pinRequired && v.integrity === undefined && v.sha256 === undefined) fail(where, 'must be pinned with sha256 or integrity.');
}

function checkPolicy(id: string, def: unknown): AcsPolicyDefinition {
  const where = `policies.${id}`;
  if (!isObject(def)) fail(where, 'must be an object with a type.');
  if (typeof def.type !== 'string' || !POLICY_TYPES.includes(def.type)) fail(`${where}.type`, `must be one of ${POLICY_TYPES.join(', ')}.`);
  if (def.type === 'rego') {
    for (const k of ['query', 'bundle']) if (def[k] !== undefined && !nonEmptyString(def[k])) fail(`${where}.${k}`, 'must be a non-empty string.');
    if (def.bundle_url !== undefined) pinnedUrl(def.bundle_url, `${where}.bundle_url`, true);
    if (def.bundle !== undefined && def.bundle_url !== undefined) fail(where, 'has both bundle and bundle_url; give one.');
    if (def.data_paths !== undefined && (!Array.isArray(def.data_paths) || !def.data_paths.every(nonEmptyString))) fail(`${where}.data_paths`, 'must be an array of non-empty strings.');
  } else if (def.type === 'cedar') {
    for (const k of ['policy_set', 'policy_path', 'entities_path', 'schema_path']) if (def[k] !== undefined && !nonEmptyString(def[k])) fail(`${where}.${k}`, 'must be a non-empty string.');
    if ((def.policy_set === undefined) === (def.policy_path === undefined)) fail(where, 'must have exactly one of policy_set and policy_path.');
    if (def.query !== undefined && !isObject(def.query)) fail(`${where}.query`, 'must be an object.');
  } else if (def.type === 'custom') {
    if (!nonEmptyString(def.adapter)) fail(`${where}.adapter`, 'is required for a custom policy: a non-empty string naming the host adapter.');
  }
  return def as AcsPolicyDefinition;
}

function checkAnnotator(name: string, decl: unknown): Record<string, unknown> {
  const where = `annotators.${name}`;
  if (!isObject(decl)) fail(where, 'must be an object with a type.');
  if (typeof decl.type !== 'string' || !ANNOTATOR_TYPES.includes(decl.type)) fail(`${where}.type`, `must be one of ${ANNOTATOR_TYPES.join(', ')}.`);
  if (decl.system_prompt_url !== undefined) pinnedUrl(decl.system_prompt_url, `${where}.system_prompt_url`, true);
  return decl;
}

function checkPoint(name: AcsInterventionPoint, cfg: unknown, policies: ReadonlyMap<string, AcsPolicyDefinition>, annotators: ReadonlyMap<string, Record<string, unknown>>): AcsPointConfig {
  const where = `intervention_points.${name}`;
  if (!isObject(cfg)) fail(where, 'must be an object with policy_target and policy.');
  for (const k of Object.keys(cfg)) if (!POINT_KEYS.includes(k)) fail(`${where}.${k}`, `is not a member of an intervention point (${POINT_KEYS.join(', ')}).`);
  if (cfg.policy_target === undefined) fail(`${where}.policy_target`, 'is required.');
  const policyTarget = path(cfg.policy_target, `${where}.policy_target`, ['snap']);
  if (cfg.policy_target_kind !== undefined && !nonEmptyString(cfg.policy_target_kind)) fail(`${where}.policy_target_kind`, 'must be a non-empty string.');
  let toolNameFrom: AcsPath | null = null;
  if (cfg.tool_name_from !== undefined) {
    if (!ACS_TOOL_POINTS.includes(name)) fail(`${where}.tool_name_from`, 'is only allowed at pre_tool_call and post_tool_call.');
    toolNameFrom = path(cfg.tool_name_from, `${where}.tool_name_from`, ['snap']);
  }
  const annotations = new Map<string, { from: AcsPath; binding: Record<string, unknown> }>();
  if (cfg.annotations !== undefined) {
    if (!isObject(cfg.annotations)) fail(`${where}.annotations`, 'must be a map of annotator name to { from }.');
    for (const key of Object.keys(cfg.annotations).sort(byCodeUnits)) {
      const binding = cfg.annotations[key];
      const at = `${where}.annotations.${key}`;
      if (!annotators.has(key)) fail(at, `names an annotator that annotators does not declare${annotators.size ? ` (declared: ${[...annotators.keys()].join(', ')})` : ''}.`);
      if (!isObject(binding)) fail(at, 'must be an object with a from path.');
      if (binding.annotator !== undefined) fail(`${at}.annotator`, 'is not allowed: the key names the annotator.');
      const from = path(binding.from, `${at}.from`, ['pi', 'policy_target', 'tool', 'snap'], (p) =>
        p.root === 'pi' && p.segments[0] === 'annotations' ? 'reads $pi.annotations, which does not exist while annotators run.' : null,
      );
      const prompts = PROMPT_SOURCES.filter((k) => binding[k] !== undefined || annotators.get(key)?.[k] !== undefined);
      if (prompts.length > 1) fail(at, `sets more than one system prompt source (${prompts.join(', ')}); keep one.`);
      annotations.set(key, { from, binding });
    }
  }
  if (!isObject(cfg.policy)) fail(`${where}.policy`, 'is required: an object { id } naming a policy.');
  const binding = cfg.policy;
  if (!nonEmptyString(binding.id)) fail(`${where}.policy.id`, 'must be a non-empty string naming a policy.');
  const def = policies.get(binding.id);
  if (def === undefined) fail(`${where}.policy.id`, `names ${JSON.stringify(binding.id)}, which policies does not define (defined: ${[...policies.keys()].join(', ')}).`);
  if (binding.query !== undefined && !nonEmptyString(binding.query)) fail(`${where}.policy.query`, 'must be a non-empty string.');
  if (def.type === 'rego' && binding.query === undefined && def.query === undefined) fail(`${where}.policy`, `binds rego policy ${binding.id} without a query on the binding or the definition.`);
  return { policyTarget, policyTargetKind: (cfg.policy_target_kind as string | undefined) ?? null, toolNameFrom, annotations, policy: binding as { id: string } & Record<string, unknown> };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function entries(v: unknown, where: string, minOne: boolean): [string, unknown][] {
  if (!isObject(v)) fail(where, 'must be a map.');
  const list = Object.entries(v);
  if (minOne && list.length === 0) fail(where, 'must have at least one entry.');
  for (const [k] of list) if (k === '') fail(where, 'has an empty key.');
  return list;
}

/**
 * Validates a manifest already parsed to a plain value (JSON or YAML data).
 *
 * @example
 * ```ts
 * const m = acsManifestFromValue({
 *   agent_control_specification_version: '0.3.1-beta',
 *   policies: { p: { type: 'custom', adapter: 'warden' } },
 *   intervention_points: { input: { policy: { id: 'p' }, policy_target: '$snap.input' } },
 * });
 * ```
 * @throws WardenError `ERR_ACS_MANIFEST` naming the first invalid member.
 */
export function acsManifestFromValue(value: unknown): AcsManifest {
  if (!isObject(value)) fail('the manifest', 'must be a mapping (a YAML or JSON object).');
  for (const k of Object.keys(value)) if (!TOP_KEYS.includes(k)) fail(k, `is not a top-level member of a manifest (${TOP_KEYS.join(', ')}).`);
  if (!nonEmptyString(value.agent_control_specification_version)) fail('agent_control_specification_version', 'is required: a non-empty string such as "0.3.1-beta".');
  if (value.metadata !== undefined && !isObject(value.metadata)) fail('metadata', 'must be a mapping.');
  if (value.extends !== undefined) {
    if (!Array.isArray(value.extends)) fail('extends', 'must be an array.');
    if (value.extends.length > 0) {
      fail('extends', 'is not empty: this loader reads one in-memory document and does not fetch or read parents, so give it the merged manifest (specification section 2.2).');
    }
  }
  if (value.approval !== undefined && !isObject(value.approval)) fail('approval', 'must be a mapping.');
  const policies = new Map<string, AcsPolicyDefinition>();
  for (const [id, def] of entries(value.policies, 'policies', true)) policies.set(id, Object.freeze(checkPolicy(id, def)));
  const annotators = new Map<string, Record<string, unknown>>();
  if (value.annotators !== undefined) for (const [name, decl] of entries(value.annotators, 'annotators', false)) annotators.set(name, Object.freeze(checkAnnotator(name, decl)));
  const tools = new Map<string, Record<string, unknown>>();
  if (value.tools !== undefined) {
    for (const [name, entry] of entries(value.tools, 'tools', false)) {
      if (!isObject(entry)) fail(`tools.${name}`, 'must be a mapping.');
      tools.set(name, Object.freeze(entry));
    }
  }
  const points = new Map<AcsInterventionPoint, AcsPointConfig>();
  for (const [name, cfg] of entries(value.intervention_points, 'intervention_points', true)) {
    if (!(ACS_INTERVENTION_POINTS as readonly string[]).includes(name)) fail(`intervention_points.${name}`, `is not an intervention point (${ACS_INTERVENTION_POINTS.join(', ')}).`);
    points.set(name as AcsInterventionPoint, Object.freeze(checkPoint(name as AcsInterventionPoint, cfg, policies, annotators)));
  }
  return Object.freeze({
    version: value.agent_control_specification_version,
    metadata: value.metadata ?? null,
    policies,
    interventionPoints: points,
    tools,
    annotators,
    approval: value.approval ?? null,
  });
}

/**
 * Parses and validates a manifest written in YAML or JSON (one document, no custom tags).
 *
 * @example
 * ```ts
 * const manifest = loadAcsManifest(`
 * agent_control_specification_version: 0.3.1-beta
 * policies:
 *   p: { type: custom, adapter: warden }
 * intervention_points:
 *   pre_tool_call:
 *     tool_name_from: $snap.tool_call.name
 *     policy: { id: p }
 *     policy_target: $snap.tool_call.args
 * tools:
 *   search: { type: Tool, clearance: internal }
 * `);
 * ```
 * @throws WardenError `ERR_ACS_MANIFEST` for text that does not parse or a manifest that does not validate.
 */
export function loadAcsManifest(text: string): AcsManifest {
  if (typeof text !== 'string') fail('the manifest', 'must be given as YAML or JSON text.');
  if (text.length > MAX_ACS_MANIFEST_CHARS) fail('the manifest', `is longer than ${MAX_ACS_MANIFEST_CHARS} characters.`);
  let value: unknown;
  try {
    value = parseYaml(text, { schema: 'core', customTags: [], uniqueKeys: true, maxAliasCount: 100, merge: false });
  } catch (e) {
    fail('the manifest', `does not parse as YAML or JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  return acsManifestFromValue(value);
}
