/**
 * The service's routes as data: the server dispatches from this table, and the OpenAPI document
 * (docs/server-openapi.json, `warden serve --openapi`) is generated from it, so the two cannot drift.
 */

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

/**
 * One route.
 *
 * @example
 * ```ts
 * const r: RouteSpec = { method: 'GET', path: '/healthz', operationId: 'health', summary: 'Alive', auth: false, responses: { '200': { description: 'alive' } } };
 * ```
 */
export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  /** Also the name of the server's handler for the route. */
  operationId: 'decide' | 'decideBatch' | 'authzenEvaluation' | 'authzenEvaluations' | 'outcome' | 'bundlePush' | 'health' | 'ready' | 'metrics' | 'openapi';
  summary: string;
  /** True when a bearer token is required (401 without one). */
  auth: boolean;
  request?: JsonSchema;
  responses: Record<string, { description: string; schema?: JsonSchema; contentType?: string }>;
}

const obj = (properties: Record<string, JsonSchema>, required: string[] = [], additional = false): JsonSchema => ({ type: 'object', properties, required, additionalProperties: additional });
const anyObject: JsonSchema = { type: 'object' };
const str: JsonSchema = { type: 'string' };
const error: JsonSchema = obj({ error: obj({ code: { type: 'string', enum: ['unauthenticated', 'not_found', 'method_not_allowed', 'unsupported_media_type', 'body_too_large', 'invalid_json', 'too_deep', 'invalid_request', 'bundle_refused', 'outcome_not_recorded', 'internal'] }, message: str }, ['code', 'message']) }, ['error'], true);

/** The pipeline's request: `{ tool, args, context? }`. Identity comes from the bearer token, never from here. */
const decideRequest: JsonSchema = obj({ tool: str, args: anyObject, context: anyObject }, ['tool', 'args']);

/** The verdict, as the pipeline returned it, plus the bundle revision in force. */
const verdict: JsonSchema = obj(
  {
    effect: { type: 'string', enum: ['allow', 'deny', 'warn', 'require_approval'] },
    allowed: { type: 'boolean' },
    rule: { type: ['string', 'null'] },
    policy: { type: ['string', 'null'] },
    reason: str,
    approvers: { type: 'array', items: str },
    errors: { type: 'array', items: anyObject },
    policyDigest: str,
    policyDecision: anyObject,
    approval: anyObject,
    call: str,
    requestDigest: str,
    recorded: { type: 'boolean' },
    warnings: { type: 'array', items: anyObject },
    revision: { type: ['integer', 'null'], description: 'The policy bundle revision in force when this was decided (null for policy files).' },
  },
  ['effect', 'allowed', 'reason', 'call', 'recorded', 'revision'],
);

const authzenEntity: JsonSchema = obj({ type: str, id: str, properties: anyObject }, ['type', 'id']);
const authzenEvaluation: JsonSchema = obj({ subject: authzenEntity, action: obj({ name: str, properties: anyObject }, ['name']), resource: authzenEntity, context: anyObject }, ['subject', 'action', 'resource']);
const authzenDecision: JsonSchema = obj({ decision: { type: 'boolean' }, context: anyObject }, ['decision']);

const unauthorized = { description: 'No valid bearer token: no decision is made.', schema: error };
const invalid = { description: 'The body is not valid JSON, nests too deep, or has the wrong shape.', schema: error };
const tooLarge = { description: 'The body is larger than the limit.', schema: error };

/**
 * Every route of the service.
 *
 * @example
 * ```ts
 * ROUTES.find((r) => r.operationId === 'decide')?.path; // '/v1/decide'
 * ```
 */
export const ROUTES: readonly RouteSpec[] = Object.freeze<RouteSpec[]>([
  {
    method: 'POST',
    path: '/v1/decide',
    operationId: 'decide',
    summary: 'Decide, approve and record one call through the pipeline. Every answer other than 200 with allowed: true is a denial.',
    auth: true,
    request: decideRequest,
    responses: { '200': { description: 'The verdict (allowed or not).', schema: verdict }, '400': { description: 'The request was invalid; the pipeline denied and recorded it.', schema: obj({ error: anyObject, verdict }, ['error'], true) }, '401': unauthorized, '413': tooLarge },
  },
  {
    method: 'POST',
    path: '/v1/decide/batch',
    operationId: 'decideBatch',
    summary: 'Decide up to the batch limit of calls, each through the pipeline, in order.',
    auth: true,
    request: obj({ requests: { type: 'array', items: decideRequest, maxItems: 1000 } }, ['requests']),
    responses: { '200': { description: 'One verdict per request, in order.', schema: obj({ verdicts: { type: 'array', items: verdict }, revision: { type: ['integer', 'null'] } }, ['verdicts', 'revision']) }, '400': invalid, '401': unauthorized, '413': tooLarge },
  },
  {
    method: 'POST',
    path: '/access/v1/evaluation',
    operationId: 'authzenEvaluation',
    summary: 'OpenID AuthZEN Authorization API 1.0 access evaluation: action.name is the tool; subject, action and resource are the arguments.',
    auth: true,
    request: authzenEvaluation,
    responses: { '200': { description: 'The decision.', schema: authzenDecision }, '400': invalid, '401': unauthorized, '413': tooLarge },
  },
  {
    method: 'POST',
    path: '/access/v1/evaluations',
    operationId: 'authzenEvaluations',
    summary:
      'AuthZEN batch evaluation: top-level subject, action, resource and context are defaults for each evaluation. options.evaluations_semantic: execute_all (default, every evaluation), deny_on_first_deny or permit_on_first_permit (in order, stopping after the first deny or permit).',
    auth: true,
    request: obj(
      {
        subject: authzenEntity,
        action: anyObject,
        resource: authzenEntity,
        context: anyObject,
        evaluations: { type: 'array', items: anyObject, maxItems: 1000 },
        options: obj({ evaluations_semantic: { type: 'string', enum: ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'], default: 'execute_all' } }, [], true),
      },
      ['evaluations'],
    ),
    responses: { '200': { description: 'One decision per evaluation made, in order: all of them for execute_all; up to and including the first deny (deny_on_first_deny) or permit (permit_on_first_permit).', schema: obj({ evaluations: { type: 'array', items: authzenDecision } }, ['evaluations']) }, '400': invalid, '401': unauthorized, '413': tooLarge },
  },
  {
    method: 'POST',
    path: '/v1/outcome',
    operationId: 'outcome',
    summary: 'Record what happened when an allowed call ran.',
    auth: true,
    request: obj({ call: str, tool: str, outcome: obj({ status: { type: 'string', enum: ['ok', 'error', 'aborted'] }, durationMs: { type: 'number' }, error: anyObject }, ['status'], true) }, ['call', 'tool', 'outcome']),
    responses: { '202': { description: 'Recorded in the audit log.', schema: obj({ accepted: { type: 'boolean' } }, ['accepted']) }, '400': invalid, '401': unauthorized, '413': tooLarge, '503': { description: 'Not recorded (the audit sink refused or failed it: error.code outcome_not_recorded, error.message says why); send it again.', schema: error } },
  },
  {
    method: 'POST',
    path: '/v1/bundle',
    operationId: 'bundlePush',
    summary: 'Push a signed policy bundle (only when the service was started with a bundle key and push enabled). Verified before activation; a refused bundle leaves the one in force.',
    auth: true,
    request: { type: 'object', description: 'A signed PolicyBundle document (see docs/server.md).' },
    responses: { '200': { description: 'Activated (or already in force).', schema: obj({ revision: { type: 'integer' }, changed: { type: 'boolean' } }, ['revision', 'changed']) }, '404': { description: 'Push is not enabled.', schema: error }, '401': unauthorized, '409': { description: 'Refused; the reason names the failed check.', schema: obj({ error: anyObject, reason: str }, ['error', 'reason'], true) }, '413': tooLarge },
  },
  {
    method: 'GET',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness: the process answers. No authentication.',
    auth: false,
    responses: { '200': { description: 'Alive.', schema: obj({ status: { const: 'ok' } }, ['status']) } },
  },
  {
    method: 'GET',
    path: '/readyz',
    operationId: 'ready',
    summary: 'Readiness: 200 once a policy is active, else 503. Says which revision serves and why the last bundle was refused. No authentication.',
    auth: false,
    responses: {
      '200': { description: 'Ready.', schema: obj({ ready: { type: 'boolean' }, policy: anyObject }, ['ready', 'policy']) },
      '503': { description: 'No policy is active yet: every decision is a denial.', schema: obj({ ready: { type: 'boolean' }, policy: anyObject }, ['ready', 'policy']) },
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics (text exposition format).',
    auth: true,
    responses: { '200': { description: 'Metrics.', contentType: 'text/plain; version=0.0.4' }, '401': unauthorized },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This API described in OpenAPI 3.1. No authentication.',
    auth: false,
    responses: { '200': { description: 'The OpenAPI document.', schema: anyObject } },
  },
]);

/**
 * The OpenAPI 3.1 document of {@link ROUTES}.
 *
 * @example
 * ```ts
 * writeFileSync('docs/server-openapi.json', `${JSON.stringify(openApiDocument(), null, 2)}\n`);
 * ```
 */
export function openApiDocument(version = '1'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      security: r.auth ? [{ bearer: [] }] : [],
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, resp]) => [status, { description: resp.description, ...(resp.schema || resp.contentType ? { content: { [resp.contentType ?? 'application/json']: resp.schema ? { schema: resp.schema } : {} } } : {}) }]),
      ),
    };
    if (r.request) op.requestBody = { required: true, content: { 'application/json': { schema: r.request } } };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Warden decision service', version, description: 'warden serve: decisions through the Warden pipeline over HTTP. Generated from src/server/routes.ts.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A static token from the token file, or a JWT (issuer and audience checked).' } } },
    paths,
  };
}
