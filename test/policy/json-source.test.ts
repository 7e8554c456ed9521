/**
 * The fast JSON reader (policy/json-source.ts) must be indistinguishable from the YAML parser on
 * plain JSON: the same values, the same positions, the same validation issues; and it must hand
 * anything else (repeated keys, comments, YAML syntax, bad escapes) back to the YAML parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { isMap, isScalar, isSeq, parse as parseYaml, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseJsonSource } from '../../src/policy/json-source.js';
import { parseSource, type NodeReader } from '../../src/policy/yaml-reader.js';
import { readPolicyDocument } from '../../src/policy/document.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';
import { lintPolicy } from '../../src/policy/lint.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/policies', import.meta.url));

/** Values and start offsets of every node, for comparing two parses. */
function shape(node: Node | null | undefined): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return { v: node.value, at: node.range?.[0], type: node.type };
  if (isMap(node)) return { at: node.range?.[0], map: node.items.map((p) => [shape(p.key as Node), shape(p.value as Node)]) };
  if (isSeq(node)) return { at: node.range?.[0], seq: node.items.map((n) => shape(n as Node)) };
  return 'other';
}

function both(text: string): { fast: ReturnType<typeof parseSource>; yaml: ReturnType<typeof parseSource> } {
  const fast = parseJsonSource('p.json', text);
  if (fast === null) throw new Error('the fast reader refused plain JSON');
  return { fast, yaml: parseSource('p.json', text) };
}

/** The spec without YAML node references, and the issues, as one comparable value. */
function validated(reader: NodeReader, docs: ReturnType<typeof parseSource>['documents']): unknown {
  const spec = docs[0] ? readPolicyDocument(docs[0], reader) : null;
  const rules = spec?.rules.map((r) => ({ ...r, when: r.when && { text: r.when.text, pos: reader.posInScalar(r.when.node, 3) }, unless: r.unless && { text: r.unless.text, pos: reader.posInScalar(r.unless.node, 1) } }));
  return { spec: spec && { ...spec, rules }, issues: reader.issues };
}

describe('on plain JSON the fast reader equals the YAML parser', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
  const forms: Array<[string, (v: unknown) => string]> = [
    ['pretty', (v) => JSON.stringify(v, null, 2)],
    ['compact', (v) => JSON.stringify(v)],
    ['tabs and CRLF', (v) => JSON.stringify(v, null, '\t').replaceAll('\n', '\r\n')],
  ];
  for (const [form, write] of forms) {
    it.each(files)(`%s as ${form} JSON: nodes, positions, spec and issues`, (file) => {
      const text = write(parseYaml(readFileSync(join(EXAMPLES, file), 'utf8')));
      const { fast, yaml } = both(text);
      expect(shape(fast.documents[0]?.contents as Node)).toEqual(shape(yaml.documents[0]?.contents as Node));
      expect(validated(fast.reader, fast.documents)).toEqual(validated(yaml.reader, yaml.documents));
    });
  }

  const broken: Array<[string, unknown]> = [
    ['an unknown key', { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rulez: [] }],
    ['a wrong type', { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: 'none' }],
    ['a bad effect, nested', { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [{ name: 'r', tools: ['t'], effect: 'Deny' }] }],
    ['a number where a string goes', { apiVersion: 'warden/v1', kind: 'Policy', name: 7, rules: [] }],
    ['a null', { apiVersion: 'warden/v1', kind: 'Policy', name: null, rules: [] }],
    ['an escaped string', { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', description: 'tab\there "quoted" \u00e9 \ud83d\ude00', rules: [] }],
    ['a condition with escapes before the error', { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [{ name: 'r', tools: ['t'], when: "args.a == \"x\" &&", effect: 'deny' }] }],
    ['numbers of every JSON form', { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [], x: [0, -0, 1.5, -2e3, 1e-2, 2 ** 64] }],
  ];
  it.each(broken)('%s: the same issues at the same positions', (_name, doc) => {
    const text = JSON.stringify(doc, null, 2);
    const { fast, yaml } = both(text);
    expect(shape(fast.documents[0]?.contents as Node)).toEqual(shape(yaml.documents[0]?.contents as Node));
    expect(validated(fast.reader, fast.documents)).toEqual(validated(yaml.reader, yaml.documents));
  });

  it('any JSON object reads to the same values and offsets (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), fc.boolean(), (obj, pretty) => {
        const text = JSON.stringify(obj, null, pretty ? 2 : undefined);
        const fast = parseJsonSource('p.json', text);
        const yaml = parseSource('p.json', text);
        if (yaml.reader.issues.length > 0) return; // not for the fast reader to be compared on
        expect(fast).not.toBeNull();
        expect(shape(fast?.documents[0]?.contents as Node)).toEqual(shape(yaml.documents[0]?.contents as Node));
      }),
      { numRuns: 200 },
    );
  });
});

describe('anything but one plain JSON object goes to the YAML parser', () => {
  const refused: Array<[string, string]> = [
    ['a repeated key', '{"apiVersion":"warden/v1","name":"a","name":"b"}'],
    ['a repeated key spelled with an escape', '{"name":"a","\\u006eame":"b"}'],
    ['a YAML comment', '{"apiVersion":"warden/v1", # note\n"name":"a"}'],
    ['a second document', '{"name":"a"}\n---\n{"name":"b"}'],
    ['single quotes (YAML flow syntax)', "{'name':'a'}"],
    ['an unquoted key', '{name: "a"}'],
    ['a trailing comma', '{"name":"a",}'],
    ['an invalid escape', '{"name":"\\q"}'],
    ['a raw control character in a string', '{"name":"a\tb"}'],
    ['a top-level list', '[{"name":"a"}]'],
    ['YAML text', 'apiVersion: warden/v1\nname: a\n'],
    ['a byte order mark', '\ufeff{"name":"a"}'],
    ['a number JSON does not have', '{"n": 0x10}'],
    ['nesting deeper than the reader goes', `{"a":${'['.repeat(150)}${']'.repeat(150)}}`],
  ];
  it.each(refused)('%s', (_name, text) => {
    expect(parseJsonSource('p.json', text)).toBeNull();
  });

  it('a repeated key in a JSON policy is still the YAML parser\'s load error', () => {
    const text = '{"apiVersion":"warden/v1","kind":"Policy","name":"p","rules":[],"rules":[{"name":"r","tools":["t"],"effect":"allow"}]}';
    let caught: unknown;
    try {
      compilePolicy([{ name: 'p.json', text }]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PolicyLoadError);
    expect((caught as PolicyLoadError).issues.map((i) => i.code)).toContain('duplicate_key');
  });

  it('a document object and its YAML text compile to the same decisions', () => {
    const doc = { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [{ name: 'big', tools: ['pay'], when: 'args.amount > 100', effect: 'deny' }, { name: 'pay', tools: ['pay'], effect: 'allow' }] };
    const a = compilePolicy([{ name: 'p', document: doc }]);
    const b = compilePolicy([{ name: 'p', text: JSON.stringify(doc, null, 2) }]);
    for (const amount of [5, 500]) expect(a.decide({ tool: 'pay', args: { amount } })).toEqual(b.decide({ tool: 'pay', args: { amount } }));
  });
});

describe('lint reads a document object as the compiler does', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s: the same report from the document object as from its text through the YAML parser', (file) => {
    const document = parseYaml(readFileSync(join(EXAMPLES, file), 'utf8')) as unknown;
    // A trailing comment is not JSON: this text takes the YAML parser, with the same positions.
    const text = `${JSON.stringify(document, null, 2)}\n# read by the YAML parser\n`;
    expect(parseJsonSource(file, text)).toBeNull();
    expect(lintPolicy([{ name: file, document }])).toEqual(lintPolicy([{ name: file, text }]));
  });

  it('a rule lint reports in a document object is reported at its line in the JSON text', () => {
    const document = { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [{ name: 'all', tools: ['*'], effect: 'deny' }, { name: 'late', tools: ['x'], effect: 'allow' }] };
    const shadowed = lintPolicy([{ name: 'p', document }]).findings.find((f) => f.code === 'shadowed_rule');
    const lines = JSON.stringify(document, null, 2).split('\n');
    // A rule is where its mapping opens: the "{" on the line before its name (0-based index = 1-based line before).
    const nameLine = lines.findIndex((l) => l.includes('"name": "late"'));
    expect(lines[nameLine - 1]?.trim()).toBe('{');
    expect(shadowed).toMatchObject({ file: 'p', rule: 'late', line: nameLine });
  });
});
