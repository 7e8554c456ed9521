#!/usr/bin/env node
/**
 * Builds test/fixtures/detect/readme-benign.jsonl, benign training text for the tier 2 model only
 * (never an evaluation set): the prose of README files of npm packages under permissive licences
 * (MIT, ISC, BSD, Apache-2.0), which is full of instructions addressed to people ("run npm
 * install", "call this function before ...", "pass the token as ...", "ignore the warning") — the
 * look-alikes that a bag of words most easily takes for instructions to a model.
 *
 * `node scripts/detect-readme-set.mjs --extract <node_modules dir>` reads the packages installed
 * there (package.json `license`, README.md), keeps the README's prose (fenced code, HTML, badges,
 * tables and link-only lines removed; at most 1,200 characters from the first paragraph after the
 * title), takes the 150 packages whose name's SHA-256 sorts lowest, and writes the file with each
 * row's package, version and licence. The committed file is the corpus (training reads it, not
 * node_modules), so training stays reproducible; `--check` only checks that the file parses.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import console from 'node:console';
import process from 'node:process';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'detect', 'readme-benign.jsonl');
const LICENCES = new Set(['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD']);
const COUNT = 150;
const MAX_CHARS = 1200;

/** The prose of a README: no code, HTML, badges, tables, headings-only or link-only lines. */
export function prose(md) {
  const noCode = md.replace(/```[\s\S]*?```/g, '\n').replace(/~~~[\s\S]*?~~~/g, '\n').replace(/<!--[\s\S]*?-->/g, '\n');
  const lines = noCode.split('\n').map((l) => l.trim());
  const kept = [];
  let started = false;
  for (const l of lines) {
    if (l === '') {
      if (kept.length > 0 && kept[kept.length - 1] !== '') kept.push('');
      continue;
    }
    if (/^#/.test(l)) {
      started = true;
      continue;
    }
    if (/^</.test(l) || /^\|/.test(l) || /^\[!\[/.test(l) || /^!\[/.test(l) || /^\[[^\]]*\]:/.test(l) || /^[-*]\s*\[[^\]]*\]\([^)]*\)\s*$/.test(l) || /^[=-]{3,}$/.test(l) || /^ {4}/.test(l)) continue;
    if (!started && kept.length === 0 && /^\S+$/.test(l)) continue;
    kept.push(l.replace(/!\[[^\]]*\]\([^)]*\)/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
  }
  let text = kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  if (text.length > MAX_CHARS) {
    const cut = text.lastIndexOf('\n', MAX_CHARS);
    text = text.slice(0, cut > MAX_CHARS / 2 ? cut : MAX_CHARS).trim();
  }
  return text;
}

function packages(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) for (const sub of readdirSync(join(dir, name))) out.push(`${name}/${sub}`);
    else out.push(name);
  }
  return out;
}

if (process.argv.includes('--extract')) {
  const dir = process.argv[process.argv.indexOf('--extract') + 1];
  const rows = [];
  for (const name of packages(dir)) {
    const pj = join(dir, name, 'package.json');
    const readme = join(dir, name, 'README.md');
    if (!existsSync(pj) || !existsSync(readme)) continue;
    const meta = JSON.parse(readFileSync(pj, 'utf8'));
    if (typeof meta.license !== 'string' || !LICENCES.has(meta.license)) continue;
    const text = prose(readFileSync(readme, 'utf8'));
    if (text.length < 200) continue;
    rows.push({ key: createHash('sha256').update(name).digest('hex'), row: { text, label: 'benign', source: `npm:${name}@${meta.version}`, licence: meta.license, category: 'readme' } });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const chosen = rows.slice(0, COUNT).map((r) => r.row);
  writeFileSync(OUT, chosen.map((r) => JSON.stringify(r)).join('\n') + '\n');
  console.log(`readme-benign.jsonl: ${chosen.length} READMEs of ${rows.length} eligible`);
} else {
  const rows = readFileSync(OUT, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ok = rows.every((r) => typeof r.text === 'string' && r.label === 'benign' && LICENCES.has(r.licence));
  console.log(`readme-benign.jsonl: ${rows.length} rows${ok ? '' : ' (malformed)'}`);
  process.exit(ok ? 0 : 1);
}
