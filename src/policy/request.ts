/**
 * Request validation: a request is plain JSON data within limits, or it is denied.
 * Validation converts objects into `Map`s for the CEL evaluator, so keys such as `__proto__`,
 * `constructor` or `toString` are ordinary data and nothing can reach a prototype.
 */
import type { AgentIdentity, Request } from '../decision.js';
import type { RequestLimits } from './limits.js';
import { isWellFormedUnicode } from '../lib/canonical-json.js';

/** A request turned into CEL values. */
export interface CelRequest {
  tool: string;
  args: Map<string, unknown>;
  agent: Map<string, unknown>;
  context: Map<string, unknown>;
}

/** Why a request was refused. */
export class InvalidRequest {
  constructor(readonly message: string) {}
}

/**
 * Validates `request` and converts it for evaluation.
 * Returns an {@link InvalidRequest} (never throws) when the request is malformed or over a limit.
 *
 * @example
 * ```ts
 * const r = toCelRequest({ tool: 't', args: { a: 1 } }, DEFAULT_LIMITS);
 * if (r instanceof InvalidRequest) console.log(r.message);
 * ```
 */
export function toCelRequest(request: unknown, limits: RequestLimits): CelRequest | InvalidRequest {
  try {
    if (!isPlainObject(request)) return new InvalidRequest('the request must be an object { tool, args, agent?, context? }');
    const r = request as Partial<Request> & Record<string, unknown>;
    const tool = readOwn(r, 'tool');
    if (typeof tool !== 'string' || tool.length === 0) return new InvalidRequest('request.tool must be a non-empty string');
    if (tool.length > limits.maxToolLength) return new InvalidRequest(`request.tool is ${tool.length} characters; the limit is ${limits.maxToolLength}`);
    if (hasControl(tool)) return new InvalidRequest('request.tool contains control characters');
    const args = readOwn(r, 'args');
    if (!isPlainObject(args)) return new InvalidRequest(`request.args must be an object, got ${describe(args)}`);
    const budget = { nodes: limits.maxNodes, chars: limits.maxTotalChars };
    const celArgs = convert(args, ['args'], 1, limits, budget) as Map<string, unknown>;
    const context = readOwn(r, 'context');
    let celContext: Map<string, unknown>;
    if (context === undefined) celContext = new Map();
    else if (!isPlainObject(context)) return new InvalidRequest(`request.context must be an object, got ${describe(context)}`);
    else celContext = convert(context, ['context'], 1, limits, budget) as Map<string, unknown>;
    const agent = readOwn(r, 'agent');
    const celAgent = agentToCel(agent, limits, budget);
    return { tool, args: celArgs, agent: celAgent, context: celContext };
  } catch (e) {
    if (e instanceof InvalidRequest) return e;
    // invariant: any unexpected failure is still a refusal, with what went wrong.
    return new InvalidRequest(`the request could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function agentToCel(agent: unknown, limits: RequestLimits, budget: Budget): Map<string, unknown> {
  if (agent === undefined || agent === null) {
    // Built with set(): the iterable constructor allocates an array per entry, on every decision.
    const anonymous = new Map<string, unknown>();
    anonymous.set('id', '');
    anonymous.set('roles', []);
    anonymous.set('labels', new Map());
    return anonymous;
  }
  if (!isPlainObject(agent)) throw new InvalidRequest(`request.agent must be an object, got ${describe(agent)}`);
  const a = agent as Partial<AgentIdentity>;
  const id = readOwn(a, 'id');
  if (typeof id !== 'string') throw new InvalidRequest('request.agent.id must be a string');
  const roles = readOwn(a, 'roles');
  if (roles !== undefined && (!Array.isArray(roles) || !roles.every((x) => typeof x === 'string'))) {
    throw new InvalidRequest('request.agent.roles must be a list of strings');
  }
  const labels = readOwn(a, 'labels');
  if (labels !== undefined && (!isPlainObject(labels) || !Object.values(labels as object).every((x) => typeof x === 'string'))) {
    throw new InvalidRequest('request.agent.labels must be a map of strings');
  }
  const out = convert(agent, ['agent'], 1, limits, budget) as Map<string, unknown>;
  if (!out.has('roles')) out.set('roles', []);
  if (!out.has('labels')) out.set('labels', new Map());
  return out;
}

interface Budget {
  nodes: number;
  chars: number;
}

/** The dotted path of the value being converted, built only when an error names it. */
function pathOf(trail: readonly (string | number)[]): string {
  let out = '';
  for (const seg of trail) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

function convert(value: unknown, trail: (string | number)[], depth: number, limits: RequestLimits, budget: Budget): unknown {
  if (--budget.nodes < 0) throw new InvalidRequest(`the request has more than ${limits.maxNodes} values`);
  switch (typeof value) {
    case 'string':
      if (!isWellFormedUnicode(value)) throw new InvalidRequest(`${pathOf(trail)} is not valid Unicode (it holds a lone UTF-16 surrogate)`);
      if (value.length > limits.maxStringLength) {
        throw new InvalidRequest(`${pathOf(trail)} is a string of ${value.length} characters; the limit is ${limits.maxStringLength}`);
      }
      budget.chars -= value.length;
      if (budget.chars < 0) throw new InvalidRequest(`the request holds more than ${limits.maxTotalChars} characters`);
      return value;
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidRequest(`${pathOf(trail)} is ${String(value)}, which is not a JSON number`);
      return value;
    case 'object':
      break;
    default:
      throw new InvalidRequest(`${pathOf(trail)} is a ${typeof value}; requests carry JSON data only`);
  }
  if (value === null) return null;
  if (depth > limits.maxDepth) throw new InvalidRequest(`${pathOf(trail)} is nested deeper than ${limits.maxDepth} levels`);
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      trail.push(i);
      out[i] = convert(value[i], trail, depth + 1, limits, budget);
      trail.pop();
    }
    return out;
  }
  if (!isPlainObject(value)) {
    throw new InvalidRequest(`${pathOf(trail)} is a ${describe(value)}; requests carry JSON data only (convert it to a string or plain object)`);
  }
  const out = new Map<string, unknown>();
  for (const key of Object.keys(value as object)) {
    budget.chars -= key.length;
    if (budget.chars < 0) throw new InvalidRequest(`the request holds more than ${limits.maxTotalChars} characters`);
    if (!isWellFormedUnicode(key)) throw new InvalidRequest(`a key of ${pathOf(trail)} is not valid Unicode (it holds a lone UTF-16 surrogate)`);
    // Each value is read once: the decision is about what this read saw. (The Governor decides on a
    // canonical snapshot, so a getter cannot answer differently when the tool runs.)
    const v: unknown = (value as Record<string, unknown>)[key];
    // undefined members are absent, exactly as in the JSON the request would serialize to.
    if (v === undefined) continue;
    trail.push(key);
    out.set(key, convert(v, trail, depth + 1, limits, budget));
    trail.pop();
  }
  return out;
}

/** Reads an own property only: an inherited `tool` or `args` is not part of the request. */
function readOwn(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function isPlainObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' ? `${name} object` : 'object';
  }
  return typeof v;
}
