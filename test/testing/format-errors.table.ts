/**
 * Every format error of a test file, with where it must be reported. Shared by the unit tests
 * (parsePolicyTests) and the CLI tests (a sample through `warden test`, exit 2).
 */

/** A source, the issue it must produce (code, line, col), and a word of the message. */
export interface FormatErrorCase {
  what: string;
  file?: string;
  text: string;
  code: string;
  line: number;
  col: number;
  says: string;
}

const head = ['apiVersion: warden/v1', 'kind: PolicyTest'];
/** A Warden document whose single case is `lines` (indented under `cases:`). */
const oneCase = (...lines: string[]): string => [...head, 'cases:', ...lines].join('\n') + '\n';
const ok = ['    request: { tool: t, args: {} }', '    expect: { effect: allow }'];
/** An AGT fixture from its lines. */
const agt = (...lines: string[]): string => lines.join('\n') + '\n';
const okInput = ['input:', '  action: t'];

export const FORMAT_ERRORS: FormatErrorCase[] = [
  // The document.
  { what: 'an unknown top-level key', text: [...head, 'casez: []'].join('\n'), code: 'unknown_key', line: 3, col: 1, says: 'Did you mean "cases"' },
  { what: 'another apiVersion', text: ['apiVersion: warden/v2', 'kind: PolicyTest', 'cases: []'].join('\n'), code: 'unknown_api_version', line: 1, col: 13, says: 'warden/v1' },
  { what: 'a policy passed as cases', text: ['apiVersion: warden/v1', 'kind: Policy', 'cases: []'].join('\n'), code: 'unknown_kind', line: 2, col: 7, says: 'looks like a policy' },
  { what: 'no cases key', text: [...head, 'name: x'].join('\n'), code: 'missing_key', line: 1, col: 1, says: 'cases is required' },
  { what: 'cases that are not a list', text: [...head, 'cases: { a: 1 }'].join('\n'), code: 'wrong_type', line: 3, col: 8, says: 'must be a list' },
  { what: 'an empty list of cases', text: [...head, 'cases: []'].join('\n'), code: 'no_cases', line: 3, col: 8, says: 'tests nothing' },
  { what: 'a name that is not a string', text: [...head, 'name: [a]', 'cases: [{ name: c, request: { tool: t }, expect: { effect: allow } }]'].join('\n'), code: 'wrong_type', line: 3, col: 7, says: 'must be a string' },
  { what: 'a case that is not a mapping', text: oneCase('  - just a string'), code: 'wrong_type', line: 4, col: 5, says: 'must be a mapping' },
  // A case.
  { what: 'an unknown key in a case', text: oneCase('  - name: c', ...ok, '    expcet: { effect: allow }'), code: 'unknown_key', line: 7, col: 5, says: 'Did you mean "expect"' },
  { what: 'a case without a name', text: oneCase('  - request: { tool: t, args: {} }', '    expect: { effect: allow }'), code: 'missing_key', line: 4, col: 5, says: 'case name is required' },
  { what: 'an empty case name', text: oneCase('  - name: "  "', ...ok), code: 'empty_name', line: 4, col: 11, says: 'is empty' },
  { what: 'a case without a request', text: oneCase('  - name: c', '    expect: { effect: allow }'), code: 'missing_key', line: 4, col: 5, says: 'request of case "c" is required' },
  { what: 'a case without expect', text: oneCase('  - name: c', '    request: { tool: t, args: {} }'), code: 'missing_key', line: 4, col: 5, says: 'expect of case "c" is required' },
  // The request.
  { what: 'a request that is a string', text: oneCase('  - name: c', '    request: read_file', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 14, says: 'must be a mapping' },
  { what: 'an unknown request key', text: oneCase('  - name: c', '    request: { tool: t, arguments: {} }', '    expect: { effect: allow }'), code: 'unknown_key', line: 5, col: 25, says: 'Allowed keys: tool, args, agent, context' },
  { what: 'a request without a tool', text: oneCase('  - name: c', '    request: { args: {} }', '    expect: { effect: allow }'), code: 'missing_key', line: 5, col: 14, says: 'request.tool of case "c" is required' },
  { what: 'a tool that is a number', text: oneCase('  - name: c', '    request: { tool: 42 }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 22, says: 'must be a string' },
  { what: 'an empty tool', text: oneCase('  - name: c', '    request: { tool: "" }', '    expect: { effect: allow }'), code: 'empty_tool', line: 5, col: 22, says: 'is empty' },
  { what: 'args that are a list', text: oneCase('  - name: c', '    request: { tool: t, args: [1, 2] }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 31, says: 'must be a mapping' },
  { what: 'args that are null', text: oneCase('  - name: c', '    request: { tool: t, args: null }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 31, says: 'Write {}' },
  { what: 'a context that is a string', text: oneCase('  - name: c', '    request: { tool: t, context: prod }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 34, says: 'must be a mapping' },
  { what: 'an argument that is infinite', text: oneCase('  - name: c', '    request: { tool: t, args: { n: .inf } }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 36, says: 'not a JSON number' },
  { what: 'an argument key that is not a string', text: oneCase('  - name: c', '    request: { tool: t, args: { 1: x } }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 33, says: 'must be strings' },
  { what: 'an alias with no anchor', text: oneCase('  - name: c', '    request: { tool: t, args: { a: *nowhere } }', '    expect: { effect: allow }'), code: 'unknown_alias', line: 5, col: 36, says: 'The alias *nowhere in request.args.a of case "c" names no anchor' },
  // The agent.
  { what: 'an unknown agent key', text: oneCase('  - name: c', '    request: { tool: t, agent: { id: a, name: b } }', '    expect: { effect: allow }'), code: 'unknown_key', line: 5, col: 41, says: 'Allowed keys: id, roles' },
  { what: 'an agent without an id', text: oneCase('  - name: c', '    request: { tool: t, agent: { roles: [r] } }', '    expect: { effect: allow }'), code: 'missing_key', line: 5, col: 32, says: 'request.agent.id' },
  { what: 'roles that are a string', text: oneCase('  - name: c', '    request: { tool: t, agent: { id: a, roles: admin } }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 48, says: 'Write [admin]' },
  { what: 'a label that is a number', text: oneCase('  - name: c', '    request: { tool: t, agent: { id: a, labels: { tier: 1 } } }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 57, says: 'must be a string' },
  { what: 'a trust score that is a string', text: oneCase('  - name: c', '    request: { tool: t, agent: { id: a, trust: high } }', '    expect: { effect: allow }'), code: 'wrong_type', line: 5, col: 48, says: 'must be a number' },
  // The time.
  { what: 'a time without a zone', text: oneCase('  - name: c', ...ok, '    now: "2026-01-31T12:00:00"'), code: 'bad_time', line: 7, col: 10, says: 'with a zone' },
  { what: 'a day that does not exist', text: oneCase('  - name: c', ...ok, '    now: "2026-02-30T12:00:00Z"'), code: 'bad_time', line: 7, col: 10, says: 'February 2026 has no day 30' },
  { what: 'a time that is a number', text: oneCase('  - name: c', ...ok, '    now: 1767225600'), code: 'wrong_type', line: 7, col: 10, says: 'must be a string' },
  // The expectation.
  { what: 'an effect that does not exist', text: oneCase('  - name: c', '    request: { tool: t }', '    expect: { effect: permit }'), code: 'unknown_value', line: 6, col: 23, says: 'not one of: deny, require_approval, warn, allow' },
  { what: 'an effect in the wrong case', text: oneCase('  - name: c', '    request: { tool: t }', '    expect: { effect: Deny }'), code: 'unknown_value', line: 6, col: 23, says: 'Did you mean "deny"' },
  { what: 'an expectation without an effect', text: oneCase('  - name: c', '    request: { tool: t }', '    expect: { rule: r }'), code: 'missing_key', line: 6, col: 13, says: 'expect.effect of case "c" is required' },
  { what: 'an unknown expectation key', text: oneCase('  - name: c', '    request: { tool: t }', '    expect: { effect: deny, rules: r }'), code: 'unknown_key', line: 6, col: 29, says: 'Did you mean "rule"' },
  { what: 'an expected rule that is a number', text: oneCase('  - name: c', '    request: { tool: t }', '    expect: { effect: deny, rule: 7 }'), code: 'wrong_type', line: 6, col: 35, says: 'must be a string' },
  { what: 'an expected rule that is empty', text: oneCase('  - name: c', '    request: { tool: t }', '    expect: { effect: deny, rule: "" }'), code: 'empty_name', line: 6, col: 35, says: 'write null' },
  { what: 'an expected reason that is empty', text: oneCase('  - name: c', '    request: { tool: t }', '    expect: { effect: deny, reason: "" }'), code: 'empty_reason', line: 6, col: 37, says: 'every reason contains' },
  // The file.
  { what: 'two cases with one name', text: oneCase('  - name: same', ...ok, '  - name: same', ...ok), code: 'duplicate_case', line: 7, col: 5, says: 'already used at line 4' },
  { what: 'a duplicate key', text: [...head, 'name: a', 'name: b', 'cases: []'].join('\n'), code: 'duplicate_key', line: 4, col: 1, says: 'Each key may appear once' },
  { what: 'broken YAML', text: [...head, 'cases: [ { name: c'].join('\n'), code: 'yaml_syntax', line: 3, col: 19, says: 'Fix the YAML syntax' },
  { what: 'broken JSON', file: 't.test.json', text: '{\n  "apiVersion": "warden/v1",\n  "kind": "PolicyTest"\n  "cases": []\n}\n', code: 'yaml_syntax', line: 4, col: 3, says: 'Fix the YAML syntax' },
  { what: 'an empty file', text: '', code: 'empty_source', line: 1, col: 1, says: 'holds no test cases' },
  { what: 'an empty document between two', text: [...head, 'cases: [{ name: c, request: { tool: t }, expect: { effect: allow } }]', '---', '---', ...head, 'cases: [{ name: d, request: { tool: t }, expect: { effect: allow } }]'].join('\n'), code: 'empty_document', line: 4, col: 4, says: 'stray "---"' },
  { what: 'a document of neither format', text: 'tool: read_file\nargs: {}\n', code: 'unknown_format', line: 1, col: 1, says: 'not a test document' },
  { what: 'a top-level list of something else', text: '- name: c\n  request: { tool: t }\n', code: 'unknown_format', line: 1, col: 3, says: 'AGT fixture' },
  // AGT fixtures.
  { what: 'an unknown fixture key', text: agt('id: f', ...okInput, 'expected_verdict: allow', 'expected: allow'), code: 'unknown_key', line: 5, col: 1, says: 'Unknown key "expected" in an AGT fixture' },
  { what: 'a fixture without an id', text: agt(...okInput, 'expected_verdict: allow'), code: 'missing_key', line: 1, col: 1, says: 'id (of an AGT fixture) is required' },
  { what: 'a fixture without a verdict', text: agt('id: f', ...okInput), code: 'missing_key', line: 1, col: 1, says: 'expected_verdict of fixture "f" is required' },
  { what: 'a verdict AGT does not have', text: agt('id: f', ...okInput, 'expected_verdict: block'), code: 'unknown_value', line: 4, col: 19, says: 'allow, deny, require_approval, warn, log' },
  { what: 'a verdict in upper case', text: agt('id: f', ...okInput, 'expected_verdict: Allow'), code: 'unknown_value', line: 4, col: 19, says: 'Did you mean "allow"' },
  { what: 'a fixture without input', text: agt('id: f', 'expected_verdict: deny'), code: 'missing_key', line: 1, col: 1, says: 'input of fixture "f" is required' },
  { what: 'an unknown input key', text: agt('id: f', 'input:', '  action: t', '  user: bob', 'expected_verdict: deny'), code: 'unknown_key', line: 4, col: 3, says: 'Allowed keys: action, agent_did' },
  { what: 'an input without an action', text: agt('id: f', 'input:', '  agent_did: did:web:a', 'expected_verdict: deny'), code: 'missing_key', line: 3, col: 3, says: 'input.action of fixture "f" is required' },
  { what: 'an action that is a number', text: agt('id: f', 'input:', '  action: 5', 'expected_verdict: deny'), code: 'wrong_type', line: 3, col: 11, says: 'must be a string' },
  { what: 'an action object that names no tool', text: agt('id: f', 'input:', '  action: { parameters: {} }', 'expected_verdict: deny'), code: 'missing_key', line: 3, col: 11, says: 'names no tool' },
  { what: 'an action with a different type and name', text: agt('id: f', 'input:', '  action: { type: a, name: b }', 'expected_verdict: deny'), code: 'ambiguous_action', line: 3, col: 28, says: 'which is the tool' },
  { what: 'an action with parameters and other keys', text: agt('id: f', 'input:', '  action: { type: a, parameters: {}, url: x }', 'expected_verdict: deny'), code: 'ambiguous_args', line: 3, col: 38, says: 'move it under parameters' },
  { what: 'arguments in the action and in input', text: agt('id: f', 'input:', '  action: { type: a, parameters: {} }', '  parameters: {}', 'expected_verdict: deny'), code: 'ambiguous_args', line: 4, col: 3, says: 'give them once' },
  { what: 'parameters and args in input', text: agt('id: f', 'input:', '  action: a', '  parameters: {}', '  args: {}', 'expected_verdict: deny'), code: 'ambiguous_args', line: 5, col: 3, says: 'both parameters and args' },
  { what: 'parameters that are a list', text: agt('id: f', 'input:', '  action: a', '  parameters: [1]', 'expected_verdict: deny'), code: 'wrong_type', line: 4, col: 15, says: 'must be a mapping' },
  { what: 'a resource given twice', text: agt('id: f', 'input:', '  action: a', '  resource: db', '  context: { resource: db2 }', 'expected_verdict: deny'), code: 'conflicting_context', line: 4, col: 3, says: 'give it once' },
  { what: 'an agent_did that is empty', text: agt('id: f', 'input:', '  action: a', '  agent_did: ""', 'expected_verdict: deny'), code: 'empty_name', line: 4, col: 14, says: 'is empty' },
  { what: 'an agent_did that is a number', text: agt('id: f', 'input:', '  action: a', '  agent_did: 7', 'expected_verdict: deny'), code: 'wrong_type', line: 4, col: 14, says: 'must be a string' },
  { what: 'expected_rule and rule_id that disagree', text: agt('id: f', ...okInput, 'expected_verdict: deny', 'expected_rule: a', 'resolution_metadata: { rule_id: b }'), code: 'conflicting_rule', line: 6, col: 22, says: 'make them agree' },
  { what: 'an unknown resolution key', text: agt('id: f', ...okInput, 'expected_verdict: deny', 'resolution_metadata: { winner: b }'), code: 'unknown_key', line: 5, col: 24, says: 'Allowed keys: rule_id, strategy' },
  { what: 'a recorded_at that is not a time', text: agt('id: f', ...okInput, 'expected_verdict: deny', 'recorded_at: yesterday'), code: 'bad_time', line: 5, col: 14, says: 'RFC 3339' },
  { what: 'tags that are a string', text: agt('id: f', ...okInput, 'expected_verdict: deny', 'tags: prod'), code: 'wrong_type', line: 5, col: 7, says: 'list of strings' },
  { what: 'two fixtures with one id', text: '- { id: f, input: { action: a }, expected_verdict: deny }\n- { id: f, input: { action: b }, expected_verdict: deny }\n', code: 'duplicate_case', line: 2, col: 3, says: 'already used at line 1' },
  { what: 'a Warden document inside a list of fixtures', text: `- apiVersion: warden/v1\n  kind: PolicyTest\n  input: {}\n`, code: 'unknown_format', line: 1, col: 3, says: 'AGT fixture' },
];
