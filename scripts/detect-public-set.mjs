#!/usr/bin/env node
/**
 * Builds the public-corpus detection sets from Microsoft's BIPIA benchmark
 * (https://github.com/microsoft/BIPIA): indirect prompt injections embedded in emails and in
 * Stack Overflow answers, the "attacks embedded in realistic tool results" case.
 *
 * Two steps, both deterministic (no randomness, no clock, no network):
 *
 *   node scripts/detect-public-set.mjs --extract <BIPIA git dir>
 *     reads BIPIA at the commit below (git show, so a bare mirror works) and writes the committed
 *     subset test/fixtures/detect/public/bipia-subset.json: every email context (MIT, from
 *     OpenAI Evals' invoices), every attack string (MIT, Microsoft), and 30 of each split's 50
 *     code contexts (CC BY-SA 4.0, Stack Exchange answers, with their author URLs), chosen as the
 *     30 whose SHA-256 of the context text sorts lowest.
 *
 *   node scripts/detect-public-set.mjs [--check]   (npm run detect-sets; --check writes nothing
 *   and exits 1 when the committed sets differ from what the subset builds)
 *     composes test/fixtures/detect/public-train.jsonl and public-test.jsonl from that subset.
 *     BIPIA's own train/test split is kept: the test attacks are of other categories than the
 *     training ones (disjoint by template; the one category BIPIA has in both splits, Language
 *     Translation, is left out of the test set) and sit in other emails and answers (disjoint by
 *     context: BIPIA repeats some emails, and each is used once, in the first split that has it). Attack i of a split goes into context (i * 7) mod n of its kind, at the end, the
 *     start or the middle (at the sentence boundary nearest the centre) by i mod 3, the three
 *     positions BIPIA uses; in the training set each attack is placed twice (contexts i*7 and
 *     i*7+3, positions i and i+1). Benign rows are the contexts alone. Attack rows carry the
 *     attack's category and its span in the text (`span: [start, end]`); the evaluator reads
 *     `text` and `label` only.
 */
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import console from 'node:console';
import process from 'node:process';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SUBSET = join(ROOT, 'test', 'fixtures', 'detect', 'public', 'bipia-subset.json');
const BIPIA_COMMIT = '1a2a91da6bb12838e05d1b2e54d98e2f37b835f3';
const CODE_PER_SPLIT = 30;
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

function extract(gitDir) {
  const show = (path) => execFileSync('git', ['--git-dir', gitDir, 'show', `${BIPIA_COMMIT}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const jsonl = (path) => show(path).trim().split('\n').map((l) => JSON.parse(l));
  const files = {};
  const remember = (path) => {
    files[path] = sha256(show(path));
  };
  const split = (name) => {
    remember(`benchmark/email/${name}.jsonl`);
    remember(`benchmark/code/${name}.jsonl`);
    remember(`benchmark/text_attack_${name}.json`);
    remember(`benchmark/code_attack_${name}.json`);
    const emails = jsonl(`benchmark/email/${name}.jsonl`).map((r) => r.context);
    const code = jsonl(`benchmark/code/${name}.jsonl`)
      .map((r) => ({ context: Array.isArray(r.context) ? r.context.join('\n') : String(r.context), url: r.context_url, author: r.context_author_url }))
      .map((r) => ({ ...r, key: sha256(r.context) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, CODE_PER_SPLIT)
      .map(({ key: _key, ...r }) => r);
    return { emails, code, textAttacks: JSON.parse(show(`benchmark/text_attack_${name}.json`)), codeAttacks: JSON.parse(show(`benchmark/code_attack_${name}.json`)) };
  };
  const subset = {
    source: 'https://github.com/microsoft/BIPIA',
    commit: BIPIA_COMMIT,
    licences: {
      attacks: 'MIT (Microsoft Corporation), benchmark/*_attack_*.json',
      emails: 'MIT, OpenAI Evals invoices data (https://github.com/openai/evals), as included in BIPIA benchmark/email',
      code: 'CC BY-SA 4.0, Stack Exchange answers (https://archive.org/details/stackexchange), as included in BIPIA benchmark/code; each context keeps its question and author URLs for attribution',
    },
    sampling: `emails and attacks: all; code contexts: the ${CODE_PER_SPLIT} of each split's 50 whose SHA-256 of the context text sorts lowest`,
    files,
    train: split('train'),
    test: split('test'),
  };
  writeFileSync(SUBSET, `${JSON.stringify(subset, null, 1)}\n`);
  console.log(`wrote ${SUBSET} (${Buffer.byteLength(JSON.stringify(subset, null, 1))} bytes)`);
}

/** Inserts `attack` into `context` at the end (0), the start (1) or the middle (2); the text and the attack's span. */
function insert(context, attack, position) {
  if (position === 0) return { text: `${context}\n${attack}`, start: context.length + 1 };
  if (position === 1) return { text: `${attack}\n${context}`, start: 0 };
  const centre = Math.floor(context.length / 2);
  let best = -1;
  const re = /[.!?]\s+|\n/g;
  for (let m = re.exec(context); m !== null; m = re.exec(context)) {
    const at = m.index + m[0].length;
    if (best === -1 || Math.abs(at - centre) < Math.abs(best - centre)) best = at;
  }
  if (best <= 0 || best >= context.length) best = centre;
  return { text: `${context.slice(0, best)}\n${attack}\n${context.slice(best)}`, start: best + 1 };
}

function compose(split, copies, exclude = new Set(), seen = new Set()) {
  const rows = [];
  // BIPIA repeats some emails, within a split and across the two: each context is used once, in
  // the first split that has it.
  const fresh = (list) => list.filter((c) => !seen.has(c) && (seen.add(c), true));
  const attacks = (byCategory) =>
    Object.entries(byCategory)
      .filter(([category]) => !exclude.has(category))
      .flatMap(([category, list]) => list.map((text) => ({ category, text })));
  const kinds = [
    { contexts: fresh(split.emails), attacks: attacks(split.textAttacks), kind: 'email' },
    { contexts: fresh(split.code.map((c) => c.context)), attacks: attacks(split.codeAttacks), kind: 'code' },
  ];
  for (const k of kinds) {
    k.attacks.forEach((a, i) => {
      for (let c = 0; c < copies; c++) {
        const context = k.contexts[(i * 7 + c * 3) % k.contexts.length];
        const { text, start } = insert(context, a.text, (i + c) % 3);
        rows.push({ text, label: 'attack', source: `bipia/${k.kind}`, category: a.category, span: [start, start + a.text.length] });
      }
    });
    for (const context of k.contexts) rows.push({ text: context, label: 'benign', source: `bipia/${k.kind}` });
  }
  return rows;
}

if (process.argv[2] === '--extract') {
  if (process.argv[3] === undefined) {
    console.error('usage: node scripts/detect-public-set.mjs --extract <path to a BIPIA git directory>');
    process.exit(2);
  }
  extract(process.argv[3]);
}
const subset = JSON.parse(readFileSync(SUBSET, 'utf8'));
const check = process.argv.includes('--check');
let stale = 0;
// BIPIA has one category in both splits (Language Translation); the test set leaves it out.
const trainCategories = new Set([...Object.keys(subset.train.textAttacks), ...Object.keys(subset.train.codeAttacks)]);
const seen = new Set();
for (const [name, split, copies, exclude] of [['public-train.jsonl', subset.train, 2, new Set()], ['public-test.jsonl', subset.test, 1, trainCategories]]) {
  const rows = compose(split, copies, exclude, seen);
  const path = join(ROOT, 'test', 'fixtures', 'detect', name);
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  if (check) {
    const same = readFileSync(path, 'utf8') === text;
    if (!same) stale++;
    console.log(`${name}: ${same ? 'as built' : 'differs from what the subset builds; run node scripts/detect-public-set.mjs'}`);
    continue;
  }
  writeFileSync(path, text);
  console.log(`${name}: ${rows.filter((r) => r.label === 'attack').length} attacks, ${rows.filter((r) => r.label === 'benign').length} benign`);
}
if (stale > 0) process.exit(1);
