/**
 * Tool-definition pinning: what a server's tools looked like when they were approved, and how the
 * tools it lists now differ. Pure: no I/O (the lock file is read and written in lock-file.ts).
 *
 * A tool's model-visible definition (its description and schemas above all) is what a poisoned or
 * "rug-pulled" server changes: the tool was approved with one description and later tells the
 * model something else. Each definition is hashed as canonical JSON, field by field, so a change
 * is caught and the report can say which field changed.
 */
import { digestOf } from '../../lib/hash.js';
import { TOOL_DEFINITION_FIELDS } from '../../supply/tool-definition.js';

/** The fields of a tool definition that are pinned, in report order. `name` is the pin's key (the fields a signed plugin manifest hashes too). */
export const PINNED_FIELDS = TOOL_DEFINITION_FIELDS;

/** One pinned field. */
export type PinnedField = (typeof PINNED_FIELDS)[number];

/** The shape of a listed tool the pins read; every MCP `Tool` has it. */
export interface ToolDefinition {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

/**
 * The pin of one tool: the digest of its canonical definition and of each pinned field.
 *
 * @example
 * ```ts
 * const pin: ToolPin = { digest: 'sha256:…', parts: { description: 'sha256:…', inputSchema: 'sha256:…' } };
 * ```
 */
export interface ToolPin {
  /** `sha256:<hex>` of `canonicalJson({ name, title, description, inputSchema, outputSchema, annotations })` (absent fields left out). */
  digest: string;
  /** `sha256:<hex>` of each present pinned field, so a report can name what changed. */
  parts: Partial<Record<PinnedField, string>>;
}

/**
 * What is pinned for one server.
 *
 * @example
 * ```ts
 * const entry: ServerPins = { pinnedAt: '2026-01-01T00:00:00.000Z', tools: { read_file: pin } };
 * ```
 */
export interface ServerPins {
  /** When the entry was last written (ISO-8601). */
  pinnedAt: string;
  tools: Record<string, ToolPin>;
}

/** How one listed tool compares with its pin. */
export type PinStatus = 'pinned' | 'changed' | 'new' | 'unhashable' | 'duplicate';

/**
 * The verdict on one listed tool.
 *
 * @example
 * ```ts
 * const c: PinCheck = { name: 'read_file', status: 'changed', pin: current, pinned: old, changedFields: ['description'] };
 * ```
 */
export interface PinCheck {
  name: string;
  status: PinStatus;
  /** The current definition's pin; null when it could not be hashed. */
  pin: ToolPin | null;
  /** What the lock holds for this name, if anything. */
  pinned: ToolPin | null;
  /** For `changed`: the pinned fields whose digests differ (empty when only the whole digest differs). */
  changedFields: PinnedField[];
  /** For `unhashable` and `duplicate`: why. */
  error?: string;
}

/**
 * The comparison of a tool list with a server's pins.
 *
 * @example
 * ```ts
 * const report = comparePins(tools, entry);
 * report.checks.filter((c) => c.status !== 'pinned');
 * ```
 */
export interface PinReport {
  checks: PinCheck[];
  /** Names pinned but no longer listed. */
  removed: string[];
}

/**
 * The canonical, pinned form of a tool definition: only the pinned fields, absent ones left out.
 *
 * @example
 * ```ts
 * canonicalToolDefinition({ name: 'x', description: 'd', inputSchema: { type: 'object' }, _meta: {} });
 * // { name: 'x', description: 'd', inputSchema: { type: 'object' } }
 * ```
 */
export function canonicalToolDefinition(tool: ToolDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = { name: tool.name };
  for (const f of PINNED_FIELDS) if (tool[f] !== undefined) out[f] = tool[f];
  return out;
}

/**
 * Hashes a tool definition. Never throws: a definition with no canonical JSON form (a lone
 * surrogate, a number JSON cannot carry) is reported as an error, and the caller blocks the tool.
 *
 * @example
 * ```ts
 * const r = pinTool({ name: 'read_file', description: 'Read a file', inputSchema: { type: 'object' } });
 * if ('pin' in r) r.pin.digest; // 'sha256:…'
 * ```
 */
export function pinTool(tool: ToolDefinition): { pin: ToolPin } | { error: string } {
  try {
    const parts: Partial<Record<PinnedField, string>> = {};
    for (const f of PINNED_FIELDS) if (tool[f] !== undefined) parts[f] = digestOf(tool[f]);
    return { pin: { digest: digestOf(canonicalToolDefinition(tool)), parts } };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Compares listed tools with a server's pins. `pins` null means the server was never pinned:
 * every tool is then `new` (the caller decides whether a first sight pins them).
 *
 * @example
 * ```ts
 * const { checks, removed } = comparePins(listed, lock.servers[key] ?? null);
 * ```
 */
export function comparePins(tools: readonly ToolDefinition[], pins: ServerPins | null): PinReport {
  const checks: PinCheck[] = [];
  const seen = new Set<string>();
  for (const tool of tools) {
    seen.add(tool.name);
    const pinned = pins !== null && Object.hasOwn(pins.tools, tool.name) ? (pins.tools[tool.name] ?? null) : null;
    const hashed = pinTool(tool);
    if ('error' in hashed) {
      checks.push({ name: tool.name, status: 'unhashable', pin: null, pinned, changedFields: [], error: hashed.error });
      continue;
    }
    const pin = hashed.pin;
    if (pinned === null) checks.push({ name: tool.name, status: 'new', pin, pinned, changedFields: [] });
    else if (pinned.digest === pin.digest) checks.push({ name: tool.name, status: 'pinned', pin, pinned, changedFields: [] });
    else checks.push({ name: tool.name, status: 'changed', pin, pinned, changedFields: PINNED_FIELDS.filter((f) => pinned.parts?.[f] !== pin.parts[f]) });
  }
  // A name listed twice is ambiguous (which definition would the model see?): block every copy.
  const counts = new Map<string, number>();
  for (const t of tools) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  for (const c of checks) {
    if ((counts.get(c.name) ?? 0) > 1) {
      c.status = 'duplicate';
      c.error = 'the server lists this tool name more than once';
    }
  }
  const removed = pins === null ? [] : Object.keys(pins.tools).filter((n) => !seen.has(n)).sort();
  return { checks, removed };
}

/**
 * A server's pins for a tool list (the checks of `comparePins` that could be hashed).
 *
 * @example
 * ```ts
 * lock.servers[key] = pinsOf(comparePins(tools, null).checks, new Date());
 * ```
 */
export function pinsOf(checks: readonly PinCheck[], now: Date): ServerPins {
  const tools = Object.create(null) as Record<string, ToolPin>;
  for (const c of checks) if (c.pin !== null && c.status !== 'duplicate') tools[c.name] = c.pin;
  return { pinnedAt: now.toISOString(), tools };
}

/**
 * One line saying how a tool differs from its pin, for stderr, the audit log and the deny reason.
 * With `blocked: false` (onChange: warn) it says the tool was let through instead.
 *
 * @example
 * ```ts
 * describeCheck(check, 'fs'); // 'Tool "read_file" of MCP server fs changed since it was pinned (description); it is blocked …'
 * ```
 */
export function describeCheck(check: PinCheck, server: string, options: { blocked?: boolean } = {}): string {
  const tool = `Tool "${check.name}" of MCP server ${server}`;
  const fix = 'Review it, then run `warden mcp-pin` for this server to approve the current definitions.';
  switch (check.status) {
    case 'changed': {
      const what = check.changedFields.length > 0 ? check.changedFields.join(', ') : 'its definition digest';
      if (options.blocked === false) return `${tool} changed since it was pinned (${what}); allowed because onChange is warn.`;
      return `${tool} changed since it was pinned (${what}); it is blocked as a possible rug pull. ${fix}`;
    }
    case 'new':
      return `${tool} is not in the pinned tool list; new tools are blocked until approved. ${fix}`;
    case 'duplicate':
      return `${tool} is listed more than once with possibly different definitions; it is blocked.`;
    case 'unhashable':
      return `${tool} has a definition that cannot be hashed (${check.error ?? 'unknown error'}); it is blocked.`;
    default:
      return `${tool} matches its pin.`;
  }
}
