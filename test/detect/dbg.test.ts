import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { scanToolDefinition } from '../../src/detect/poisoning.js';
it('dbg', () => {
  const rows = readFileSync('test/fixtures/detect/poisoning-set.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const known = rows.filter((r) => r.label === 'benign').map((r) => r.tool.name);
  let tp = 0, fp = 0, a = 0, b = 0;
  for (const r of rows) {
    const res = scanToolDefinition(r.tool, { knownNames: known });
    if (r.label === 'attack') { a++; if (res.detected) tp++; else console.log('MISS', r.source, res.score, JSON.stringify(res.findings.map((f) => f.rule + ':' + f.score))); }
    else { b++; if (res.detected) { fp++; console.log('FP', r.source, r.tool.name, JSON.stringify(res.findings.map((f) => f.rule + ':' + f.score + ':' + f.path))); } }
  }
  console.log('recall', tp / a, 'fpr', fp / b, a, b);
});
