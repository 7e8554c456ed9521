/**
 * NodeReader.pos finds a line by stepping from its previous answer when that is near, and by
 * binary search otherwise: every position must be the one the yaml package's LineCounter gives,
 * whatever order positions are asked in (issue positions are what a user is sent to).
 */
import { describe, expect, it } from 'vitest';
import { LineCounter } from 'yaml';
import { parseSource } from '../../src/policy/yaml-reader.js';
import { parseJsonSource } from '../../src/policy/json-source.js';

/** The LineCounter of `text` as the parser fills it (line starts after each "\n"). */
function counter(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
}

/** A deterministic pseudo-random sequence (no Math.random: a failure must reproduce). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const POLICY = `apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n${Array.from({ length: 60 }, (_, i) => `  - name: r${i}\n    tools: [t${i}]\n\n    effect: allow\n`).join('')}`;

function orders(length: number): Array<[string, number[]]> {
  const all = Array.from({ length: length + 3 }, (_, i) => i - 1);
  const rnd = prng(7);
  const random = Array.from({ length: 400 }, () => Math.floor(rnd() * (length + 4)) - 1);
  // Jumps: start, end, start + 1, end - 1, ... (never near the previous answer).
  const jumps = all.flatMap((_, i) => [i, length - i]).slice(0, 200);
  // Small steps back and forth around every line start.
  const wobble = all.flatMap((i) => [i + 2, i, i + 1, i - 1]);
  return [
    ['ascending', all],
    ['descending', [...all].reverse()],
    ['random', random],
    ['alternating far jumps', jumps],
    ['small steps back and forth', wobble],
    ['every offset twice in a row', all.flatMap((i) => [i, i])],
  ];
}

describe('NodeReader.pos gives LineCounter.linePos for every offset, in any order', () => {
  const texts: Array<[string, string]> = [
    ['a YAML policy', POLICY],
    ['empty lines and a trailing newline', 'a: 1\n\n\nb: 2\n'],
    ['no trailing newline', 'a: 1\nb: 2'],
    ['one line', 'a: 1'],
    ['only newlines', '\n\n\n\n'],
    ['a long line among short ones', `a: 1\nb: ${'x'.repeat(500)}\nc: 3\n`],
  ];
  for (const [what, text] of texts) {
    for (const [order, offsets] of orders(text.length)) {
      it(`${what}, offsets ${order}`, () => {
        const { reader } = parseSource('p.yaml', text);
        const expected = counter(text);
        for (const offset of offsets) {
          const p = expected.linePos(offset);
          expect(reader.pos(offset), `offset ${offset}`).toEqual({ file: 'p.yaml', line: p.line, col: p.col });
        }
      });
    }
  }

  it('the JSON reader gives the same positions as the YAML parser for the same text', () => {
    const json = JSON.stringify({ apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [{ name: 'a', tools: ['x'], effect: 'allow' }] }, null, 2);
    const fromJson = parseJsonSource('p.json', json);
    expect(fromJson).not.toBeNull();
    const fromYaml = parseSource('p.json', json);
    for (const [, offsets] of orders(json.length)) {
      for (const offset of offsets) expect(fromJson?.reader.pos(offset), `offset ${offset}`).toEqual(fromYaml.reader.pos(offset));
    }
  });

  it('a source over the size limit reports its too_large issue at the line and column where it crosses', () => {
    const text = 'a: 1\nbb: 2\nccc: 3\n';
    const { reader } = parseSource('p.yaml', text, 9);
    expect(reader.issues).toHaveLength(1);
    expect(reader.issues[0]).toMatchObject({ code: 'too_large', line: 2, col: 5 });
  });
});
