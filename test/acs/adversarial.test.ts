/**
 * Adversarial tables for src/acs beyond the vendored corpus: manifests that must be refused at
 * load, snapshots, tool names, policy outputs, transforms and annotator outputs that must fail
 * closed with the right reserved reason, and benign rows (about a third) that must not be denied.
 */
import { describe, expect, it } from 'vitest';
import { AcsAnnotatorTimeout, evaluateAcs, loadAcsManifest, parseAcsPath, settleAcsApproval, type AcsEvaluateOptions } from '../../src/acs/index.js';
import { WardenError } from '../../src/errors.js';

const HEAD = 'agent_control_specification_version: 0.3.1-beta\npolicies:\n  p: { type: custom, adapter: host }\n';
const INPUT_POINT = 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snap.input\n';
const TOOL_POINT = 'intervention_points:\n  pre_tool_call:\n    tool_name_from: $snap.tool_call.name\n    policy: { id: p }\n    policy_target: $snap.tool_call.args\ntools:\n  search: { type: Tool, clearance: internal }\n';

function loadError(text: string): string {
  try {
    loadAcsManifest(text);
  } catch (e) {
    expect(e).toBeInstanceOf(WardenError);
    expect((e as WardenError).code).toBe('ERR_ACS_MANIFEST');
    expect((e as WardenError).message).toMatch(/^runtime_error:manifest_invalid: /);
    return (e as WardenError).message;
  }
  return 'loaded';
}

describe('manifests refused at load (fail closed: no runtime is built)', () => {
  const rows: Array<[string, string, RegExp]> = [
    ['not a mapping', '- a\n- b\n', /must be a mapping/],
    ['no version', 'policies:\n  p: { type: test }\n' + INPUT_POINT, /agent_control_specification_version is required/],
    ['an empty version', 'agent_control_specification_version: ""\npolicies:\n  p: { type: test }\n' + INPUT_POINT, /non-empty string/],
    ['an unknown top-level member', HEAD + INPUT_POINT + 'hooks: {}\n', /hooks is not a top-level member/],
    ['no policies', 'agent_control_specification_version: 0.3.1-beta\n' + INPUT_POINT, /policies must be a map/],
    ['empty policies', 'agent_control_specification_version: 0.3.1-beta\npolicies: {}\n' + INPUT_POINT, /at least one entry/],
    ['no intervention points', HEAD, /intervention_points must be a map/],
    ['a removed point (state)', HEAD + 'intervention_points:\n  state:\n    policy: { id: p }\n    policy_target: $snap.state\n', /state is not an intervention point/],
    ['a point named __proto__', HEAD + 'intervention_points:\n  __proto__:\n    policy: { id: p }\n    policy_target: $snap.x\n', /not an intervention point|must have at least one entry/],
    ['a point named like a prototype member (toString)', HEAD + 'intervention_points:\n  toString:\n    policy: { id: p }\n    policy_target: $snap.x\n', /toString is not an intervention point/],
    ['an unknown member in a point', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snap.input\n    fail_open: true\n', /fail_open is not a member/],
    ['policy_target rooted at $pi', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $pi.input\n', /uses root \$pi/],
    ['policy_target rooted at $policy_target', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $policy_target\n', /uses root/],
    ['policy_target without a root', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: snap.input\n', /not a valid path/],
    ['policy_target with a negative index', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snap.input[-1]\n', /not a valid path/],
    ['policy_target with a prefix-lookalike root ($snapshot)', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snapshot.input\n', /unknown path root/],
    ['no policy_target', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n', /policy_target is required/],
    ['tool_name_from on a non-tool point', HEAD + 'intervention_points:\n  input:\n    tool_name_from: $snap.name\n    policy: { id: p }\n    policy_target: $snap.input\n', /only allowed at pre_tool_call/],
    ['a binding to an undefined policy', HEAD + 'intervention_points:\n  input:\n    policy: { id: nope }\n    policy_target: $snap.input\n', /which policies does not define/],
    ['a binding to a prototype member (constructor)', HEAD + 'intervention_points:\n  input:\n    policy: { id: constructor }\n    policy_target: $snap.input\n', /which policies does not define/],
    ['a rego policy without a query anywhere', 'agent_control_specification_version: 0.3.1-beta\npolicies:\n  p: { type: rego }\n' + INPUT_POINT, /without a query/],
    ['an unknown policy type', 'agent_control_specification_version: 0.3.1-beta\npolicies:\n  p: { type: python }\n' + INPUT_POINT, /type must be one of/],
    ['a custom policy without an adapter', 'agent_control_specification_version: 0.3.1-beta\npolicies:\n  p: { type: custom }\n' + INPUT_POINT, /adapter is required/],
    ['a cedar policy with both policy_set and policy_path', 'agent_control_specification_version: 0.3.1-beta\npolicies:\n  p: { type: cedar, policy_set: "permit(principal,action,resource);", policy_path: ./p.cedar }\n' + INPUT_POINT, /exactly one of policy_set/],
    ['an unpinned bundle_url', 'agent_control_specification_version: 0.3.1-beta\npolicies:\n  p: { type: rego, query: data.x, bundle_url: { url: "https://x.test/b.tar.gz" } }\n' + INPUT_POINT, /must be pinned/],
    ['a plain-http bundle_url', 'agent_control_specification_version: 0.3.1-beta\npolicies:\n  p: { type: rego, query: data.x, bundle_url: { url: "http://x.test/b.tar.gz", sha256: "' + 'a'.repeat(64) + '" } }\n' + INPUT_POINT, /https:\/\/ URL/],
    ['an annotation naming an undeclared annotator', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snap.input\n    annotations:\n      ghost: { from: $policy_target }\n', /does not declare/],
    ['an annotation reading $pi.annotations', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snap.input\n    annotations:\n      a: { from: $pi.annotations.b }\nannotators:\n  a: { type: classifier }\n', /reads \$pi.annotations/],
    ['an annotator of an unknown type', HEAD + INPUT_POINT + 'annotators:\n  a: { type: oracle }\n', /type must be one of classifier, llm, endpoint/],
    ['two system prompt sources', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snap.input\n    annotations:\n      a: { from: $policy_target, system_prompt: "x" }\nannotators:\n  a: { type: llm, prompt: "y" }\n', /more than one system prompt source/],
    ['a non-empty extends (this loader reads no parents)', HEAD + INPUT_POINT + 'extends: [./base.yaml]\n', /extends is not empty/],
    ['a duplicate key', HEAD + INPUT_POINT + 'tools: {}\ntools: {}\n', /does not parse/],
    ['a custom YAML tag', HEAD + INPUT_POINT + 'metadata: !!js/function "x"\n', /does not parse|must be a mapping/],
    ['an alias bomb', 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', /does not parse|not a top-level member/],
    ['text over the size limit', HEAD + INPUT_POINT + '# ' + 'x'.repeat(1_000_001) + '\n', /longer than/],
  ];
  it.each(rows)('%s', (_name, text, message) => {
    expect(loadError(text)).toMatch(message);
  });

  const benign: Array<[string, string]> = [
    ['the minimal input manifest', HEAD + INPUT_POINT],
    ['the $ alias root', HEAD + 'intervention_points:\n  agent_shutdown:\n    policy: { id: p }\n    policy_target: $\n'],
    ['a quoted member with a dot', HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: \'$snap["a.b"][0]\'\n'],
    ['a JSON manifest', JSON.stringify({ agent_control_specification_version: '0.3.1-beta', policies: { p: { type: 'test' } }, intervention_points: { output: { policy: { id: 'p' }, policy_target: '$.output' } } })],
    ['an empty extends and free metadata', HEAD + INPUT_POINT + 'extends: []\nmetadata: { owner: team-a, nested: { x: 1 } }\n'],
    ['a tool point with annotations from every allowed root', HEAD + TOOL_POINT.replace('    policy_target: $snap.tool_call.args\n', '    policy_target: $snap.tool_call.args\n    annotations:\n      a: { from: $tool.clearance }\n      b: { from: $pi.snapshot.tool_call.id }\n      c: { from: $snap.tool_call }\n      d: { from: $policy_target }\n') + 'annotators:\n  a: { type: classifier }\n  b: { type: endpoint, endpoint: "https://x.test" }\n  c: { type: llm }\n  d: { type: classifier }\n'],
  ];
  it.each(benign)('loads %s', (_name, text) => {
    expect(() => loadAcsManifest(text)).not.toThrow();
  });
});

describe('paths', () => {
  it.each([
    ['$snap.a.b', { root: 'snap', segments: ['a', 'b'] }],
    ['$', { root: 'snap', segments: [] }],
    ['$.a[2]', { root: 'snap', segments: ['a', 2] }],
    ['$snap["a.b"]["c[0]"]', { root: 'snap', segments: ['a.b', 'c[0]'] }],
    ['$policy_target', { root: 'policy_target', segments: [] }],
    ['$tool.clearance', { root: 'tool', segments: ['clearance'] }],
  ])('parses %s', (text, parsed) => {
    expect(parseAcsPath(text)).toMatchObject(parsed);
  });
  it.each(['', 'input', '$snap.', '$snap..a', '$snap[-1]', '$snap[01]', '$snap[a]', '$snap["a]', '$snap a', '$Snap.a', '$snapx', '$policy_target_x', `$snap${'.a'.repeat(200)}`, 42, null])('refuses %j', (text) => {
    expect(typeof parseAcsPath(text)).toBe('string');
  });
});

const inputManifest = loadAcsManifest(HEAD + INPUT_POINT);
const toolManifest = loadAcsManifest(HEAD + TOOL_POINT);
const allow = (): unknown => ({ decision: 'allow' });

describe('evaluations that fail closed', () => {
  const rows: Array<{ name: string; manifest?: typeof inputManifest; point?: string; snapshot: unknown; policy?: AcsEvaluateOptions['policy']; mode?: string; reason: string }> = [
    { name: 'an unknown intervention point', point: 'on_token', snapshot: { input: 1 }, reason: 'runtime_error:intervention_point_unknown' },
    { name: 'a prototype member as the point (constructor)', point: 'constructor', snapshot: { input: 1 }, reason: 'runtime_error:intervention_point_unknown' },
    { name: 'a snapshot that is not an object', snapshot: ['input'], reason: 'runtime_error:request_invalid' },
    { name: 'a snapshot that is not JSON (a function)', snapshot: { input: () => 1 }, reason: 'runtime_error:request_invalid' },
    { name: 'a snapshot with a non-finite number', snapshot: { input: Number.NaN }, reason: 'runtime_error:request_invalid' },
    { name: 'an unknown mode', snapshot: { input: 1 }, mode: 'audit', reason: 'runtime_error:request_invalid' },
    { name: 'a missing policy target', snapshot: { other: 1 }, reason: 'runtime_error:path_missing' },
    { name: 'a policy target reached through the prototype (__proto__)', snapshot: JSON.parse('{"__proto__": {"input": "x"}}') as unknown, reason: 'runtime_error:path_missing' },
    { name: 'an unknown tool', manifest: toolManifest, point: 'pre_tool_call', snapshot: { tool_call: { name: 'rm', args: {} } }, reason: 'runtime_error:tool_unknown' },
    { name: 'a tool named like a prototype member', manifest: toolManifest, point: 'pre_tool_call', snapshot: { tool_call: { name: 'toString', args: {} } }, reason: 'runtime_error:tool_unknown' },
    { name: 'a tool name that differs only by case', manifest: toolManifest, point: 'pre_tool_call', snapshot: { tool_call: { name: 'Search', args: {} } }, reason: 'runtime_error:tool_unknown' },
    { name: 'a tool name with a zero-width space', manifest: toolManifest, point: 'pre_tool_call', snapshot: { tool_call: { name: 'sea\u200brch', args: {} } }, reason: 'runtime_error:tool_unknown' },
    { name: 'a tool name that is not a string', manifest: toolManifest, point: 'pre_tool_call', snapshot: { tool_call: { name: ['search'], args: {} } }, reason: 'runtime_error:path_type_mismatch' },
    { name: 'a tool call that is a string', manifest: toolManifest, point: 'pre_tool_call', snapshot: { tool_call: 'search' }, reason: 'runtime_error:path_type_mismatch' },
    { name: 'a dispatcher that throws', snapshot: { input: 1 }, policy: () => { throw new Error('down'); }, reason: 'runtime_error:policy_invocation_failed' },
    { name: 'an output that is not an object', snapshot: { input: 1 }, policy: () => 'allow', reason: 'runtime_error:policy_output_invalid' },
    { name: 'an output that is null', snapshot: { input: 1 }, policy: () => null, reason: 'runtime_error:policy_output_invalid' },
    { name: 'a decision in another case (ALLOW)', snapshot: { input: 1 }, policy: () => ({ decision: 'ALLOW' }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'a decision with trailing space', snapshot: { input: 1 }, policy: () => ({ decision: 'allow ' }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'no decision', snapshot: { input: 1 }, policy: () => ({ reason: 'fine' }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'a reserved reason from the policy', snapshot: { input: 1 }, policy: () => ({ decision: 'deny', reason: 'runtime_error:tool_unknown' }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'a numeric reason', snapshot: { input: 1 }, policy: () => ({ decision: 'allow', reason: 7 }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'a transform on an allow', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'allow', transform: { path: '$policy_target.t', value: 2 } }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'a transform verdict without a transform', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform' }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'an empty effects array', snapshot: { input: 1 }, policy: () => ({ decision: 'allow', effects: [] }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'evidence that is a string', snapshot: { input: 1 }, policy: () => ({ decision: 'allow', evidence: 'sha256:x' }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'result_labels with a number', snapshot: { input: 1 }, policy: () => ({ decision: 'allow', result_labels: ['internal', 3] }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'an output holding a function', snapshot: { input: 1 }, policy: () => ({ decision: 'allow', message: () => 'x' }), reason: 'runtime_error:policy_output_invalid' },
    { name: 'a transform rooted at $snap', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$snap.input.t', value: 2 } }), reason: 'runtime_error:transform_target_forbidden' },
    { name: 'a transform rooted at $ (the snapshot alias)', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$.input.t', value: 2 } }), reason: 'runtime_error:transform_target_forbidden' },
    { name: 'a transform rooted at $tool', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$tool.clearance', value: 'secret' } }), reason: 'runtime_error:transform_target_forbidden' },
    { name: 'a transform rooted at $pi.annotations', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$pi.annotations', value: {} } }), reason: 'runtime_error:transform_target_forbidden' },
    { name: 'a transform to a member that does not exist', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$policy_target.new', value: 2 } }), reason: 'runtime_error:transform_invalid' },
    { name: 'a transform through __proto__', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$policy_target.__proto__.polluted', value: true } }), reason: 'runtime_error:transform_invalid' },
    { name: 'a transform past an array end', snapshot: { input: { t: [1] } }, policy: () => ({ decision: 'transform', transform: { path: '$policy_target.t[1]', value: 2 } }), reason: 'runtime_error:transform_invalid' },
    { name: 'a transform without a value', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$policy_target.t' } }), reason: 'runtime_error:transform_invalid' },
    { name: 'a transform with an unparsable path', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: 'policy_target.t', value: 2 } }), reason: 'runtime_error:transform_invalid' },
    { name: 'a transform with an extra member', snapshot: { input: { t: 1 } }, policy: () => ({ decision: 'transform', transform: { path: '$policy_target.t', value: 2, also: '$snap' } }), reason: 'runtime_error:transform_invalid' },
    { name: 'a transform that is invalid, in evaluate_only mode too', snapshot: { input: { t: 1 } }, mode: 'evaluate_only', policy: () => ({ decision: 'transform', transform: { path: '$snap.input', value: 2 } }), reason: 'runtime_error:transform_target_forbidden' },
  ];
  it.each(rows)('$name -> $reason', (row) => {
    const r = evaluateAcs(row.manifest ?? inputManifest, { interventionPoint: row.point ?? 'input', snapshot: row.snapshot, ...(row.mode ? { mode: row.mode as 'enforce' } : {}) }, { policy: row.policy ?? allow });
    expect(r.verdict).toEqual({ decision: 'deny', reason: row.reason, message: 'Request blocked by Agent Control Specification.', resultLabels: [] });
    expect(r.transformed).toBeNull();
    expect(r.actionIdentity).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('enforces the policy output and transformed-snapshot limits', () => {
    const big = () => ({ decision: 'allow', message: 'x'.repeat(2000) });
    expect(evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: { input: 1 } }, { policy: big, limits: { maxPolicyOutputBytes: 1000 } }).verdict.reason).toBe('runtime_error:resource_limit_exceeded');
    const grow = () => ({ decision: 'transform', transform: { path: '$policy_target.t', value: 'y'.repeat(500) } });
    expect(evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: { input: { t: 'x' } } }, { policy: grow, limits: { maxSnapshotBytes: 200 } }).verdict.reason).toBe('runtime_error:resource_limit_exceeded');
  });

  it('refuses an unknown request or option key as a caller error', () => {
    expect(() => evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: {}, mdoe: 'enforce' } as never, { policy: allow })).toThrow(/Unknown key "mdoe"/);
    expect(() => evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: {} }, { policy: allow, limits: { maxSnapshot: 1 } as never })).toThrow(/Unknown key "maxSnapshot"/);
  });
});

describe('annotators', () => {
  const m = loadAcsManifest(HEAD + 'intervention_points:\n  input:\n    policy: { id: p }\n    policy_target: $snap.input\n    annotations:\n      risk: { from: $policy_target.text }\nannotators:\n  risk: { type: classifier }\n');
  const run = (annotator: AcsEvaluateOptions['annotator'], snapshot: unknown = { input: { text: 'hi' } }) => evaluateAcs(m, { interventionPoint: 'input', snapshot }, { policy: allow, ...(annotator ? { annotator } : {}) });
  it.each([
    ['no annotator dispatcher given', undefined, 'runtime_error:annotation_failed'],
    ['a throwing annotator', () => { throw new Error('500'); }, 'runtime_error:annotation_failed'],
    ['a timeout', () => { throw new AcsAnnotatorTimeout('slow'); }, 'runtime_error:annotation_timeout'],
    ['an output with a reserved reason', () => ({ reason: 'runtime_error:path_missing' }), 'runtime_error:annotation_failed'],
    ['an output that is not JSON', () => ({ n: Infinity }), 'runtime_error:annotation_failed'],
    ['an oversized output', () => ({ text: 'x'.repeat(300_000) }), 'runtime_error:annotation_failed'],
  ] as const)('%s -> %s, and the policy is not invoked', (_n, annotator, reason) => {
    const r = run(annotator as AcsEvaluateOptions['annotator']);
    expect(r.verdict.reason).toBe(reason);
    expect(r.policyInvoked).toBe(false);
    expect(r.policyInput?.annotations).toEqual({});
  });
  it('a from path that does not resolve is path_missing', () => {
    expect(run(() => ({}), { input: { other: 1 } }).verdict.reason).toBe('runtime_error:path_missing');
  });
  it('an annotator output stays under its name and cannot shadow the snapshot or the tool', () => {
    const r = run(() => ({ snapshot: { input: 'forged' }, tool: { clearance: 'secret' }, label: 'low' }));
    expect(r.verdict.decision).toBe('allow');
    expect(r.policyInput?.snapshot).toEqual({ input: { text: 'hi' } });
    expect(r.policyInput?.tool).toBeNull();
    expect(r.policyInput?.annotations).toEqual({ risk: { snapshot: { input: 'forged' }, tool: { clearance: 'secret' }, label: 'low' } });
  });
});

describe('benign evaluations are not denied', () => {
  it.each([
    ['allow with labels and evidence', { decision: 'allow', result_labels: ['internal'], evidence: { artefact: 'sha256:ab' } }, 'allow'],
    ['warn with a message', { decision: 'warn', reason: 'check', message: 'look at this' }, 'warn'],
    ['null reason and message', { decision: 'allow', reason: null, message: null, result_labels: null }, 'allow'],
    ['a reason that merely contains runtime_error', { decision: 'deny', reason: 'not_a_runtime_error:x' }, 'deny'],
    ['a whole-target transform', { decision: 'transform', transform: { path: '$policy_target', value: { text: 'clean' } } }, 'transform'],
    ['a transform to null', { decision: 'transform', transform: { path: '$policy_target.text', value: null } }, 'transform'],
  ])('%s', (_n, output, decision) => {
    const r = evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: { input: { text: 'secret 1234' } } }, { policy: () => output });
    expect(r.verdict.decision).toBe(decision);
    expect(r.actionIdentity?.input).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a transform changes only the returned target: the snapshot, the host object and the identities stay apart', () => {
    const snapshot = { input: { text: 'acct 1234', keep: [1] } };
    const r = evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot }, { policy: () => ({ decision: 'transform', transform: { path: '$policy_target.text', value: 'acct [X]' } }) });
    expect(r.transformed).toEqual({ value: { text: 'acct [X]', keep: [1] } });
    expect(snapshot.input.text).toBe('acct 1234');
    expect(r.policyInput?.snapshot).toEqual({ input: { text: 'acct 1234', keep: [1] } });
    expect(r.actionIdentity?.enforced).not.toBe(r.actionIdentity?.input);
    const dry = evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot, mode: 'evaluate_only' }, { policy: () => ({ decision: 'transform', transform: { path: '$policy_target.text', value: 'acct [X]' } }) });
    expect(dry.transformed).toBeNull();
    expect(dry.actionIdentity?.enforced).toBe(dry.actionIdentity?.input);
  });

  it('the same request gives the same verdict and identities (deterministic, stateless)', () => {
    const req = { interventionPoint: 'input', snapshot: { input: { b: 2, a: 1 } } };
    const a = evaluateAcs(inputManifest, req, { policy: allow });
    const b = evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: { input: { a: 1, b: 2 } } }, { policy: allow });
    expect(b.actionIdentity).toEqual(a.actionIdentity);
  });
});

describe('approval settlement', () => {
  const escalate = () => evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: { input: { amount: 5000 } } }, { policy: () => ({ decision: 'escalate', reason: 'approval_required' }) });
  it('proceeds when the approved identity is the current one, and suspends when asked', () => {
    const r = escalate();
    expect(settleAcsApproval(r, { outcome: 'allow', enforcedIdentity: r.actionIdentity!.enforced })).toEqual({ action: 'proceed' });
    expect(settleAcsApproval(r, { outcome: 'suspend', enforcedIdentity: r.actionIdentity!.enforced })).toEqual({ action: 'suspend' });
  });
  it.each([
    ['an identity approved for another action', (id: string) => ({ outcome: 'allow', enforcedIdentity: id.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }), 'runtime_error:approval_action_mismatch'],
    ['an allow without an identity', () => ({ outcome: 'allow' }), 'runtime_error:approval_resolver_failed'],
    ['an unrecognized outcome', (id: string) => ({ outcome: 'approve', enforcedIdentity: id }), 'runtime_error:approval_resolver_failed'],
    ['no answer', () => null, 'runtime_error:approval_resolver_failed'],
  ])('denies %s', (_n, answer, reason) => {
    const r = escalate();
    expect(settleAcsApproval(r, answer(r.actionIdentity!.enforced))).toMatchObject({ action: 'deny', verdict: { decision: 'deny', reason } });
  });
  it('denies an approval of an action changed after it was shown', () => {
    const r = escalate();
    const approved = r.actionIdentity!.enforced;
    (r.policyInput!.snapshot.input as { amount: number }).amount = 50_000;
    expect(settleAcsApproval(r, { outcome: 'allow', enforcedIdentity: approved })).toMatchObject({ verdict: { reason: 'runtime_error:approval_action_mismatch' } });
  });
  it('never turns a deny into a proceed', () => {
    const r = evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot: { input: 1 } }, { policy: () => ({ decision: 'deny', reason: 'no' }) });
    expect(settleAcsApproval(r, { outcome: 'allow', enforcedIdentity: r.actionIdentity!.enforced })).toMatchObject({ action: 'deny', verdict: { reason: 'no' } });
  });
});

describe('the canonical policy input', () => {
  it.each([
    ['unicode and astral member names', { input: { '\u{1F525}': 1, 'é': 2, z: 3, A: 4, '\uE000': 5 } }],
    ['numbers JSON writes differently (-0, 1e21, 0.1)', { input: { a: -0, b: 1e21, c: 0.1, d: 1e-7 } }],
    ['a __proto__ member', JSON.parse('{"input": {"__proto__": {"x": 1}, "y": [null, true, "s"]}}') as unknown],
    ['a deep value', { input: { a: [[[{ b: [{ c: 'd' }] }]]] }, other: 'x' }],
  ])('is byte for byte canonicalJson(policy input) and hashes to the identity, with %s', async (_n, snapshot) => {
    const { canonicalJson } = await import('../../src/lib/canonical-json.js');
    const { sha256Hex } = await import('../../src/lib/hash.js');
    const r = evaluateAcs(inputManifest, { interventionPoint: 'input', snapshot }, { policy: allow });
    expect(r.verdict.decision).toBe('allow');
    expect(r.policyInvocation?.canonical_input).toBe(canonicalJson(r.policyInput));
    expect(r.actionIdentity?.input).toBe(`sha256:${sha256Hex(canonicalJson(r.policyInput))}`);
  });
});
