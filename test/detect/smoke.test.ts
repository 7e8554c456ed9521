import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { detectInjection } from '../../src/detect/injection.js';
import { evaluateDetector, parseLabelledSet } from '../../src/detect/evaluate.js';
it('smoke', () => {
  for (const name of ['injection-dev.jsonl', 'injection-holdout.jsonl']) {
    const rows = parseLabelledSet(readFileSync(`test/fixtures/detect/${name}`, 'utf8'), name);
    const r = evaluateDetector(rows, (t) => detectInjection(t));
    console.log(name, JSON.stringify({ ...r, missed: r.missed.length, falsePositives: r.falsePositives.length }));
    if (name.includes('dev')) {
      const raw = readFileSync(`test/fixtures/detect/${name}`, 'utf8').split('\n');
      for (const l of r.missed) { const row = JSON.parse(raw[l - 1] as string); console.log('MISS', row.family, row.evasion, row.carrier, JSON.stringify(row.text).slice(0, 300)); }
      for (const l of r.falsePositives) { const row = JSON.parse(raw[l - 1] as string); console.log('FP', row.carrier, detectInjection(row.text).findings.map((f) => f.rule + ':' + f.score).join(','), JSON.stringify(row.text).slice(0, 200)); }
    }
  }
});
