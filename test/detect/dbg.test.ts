import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { detectInjection } from '../../src/detect/injection.js';
it('dbg', () => {
  const rows = readFileSync('test/fixtures/detect/injection-dev.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let chars = 0;
    for (const t of rows) { detectInjection(t); chars += t.length; }
    const ms = performance.now() - t0;
    console.log(`round ${r}: ${rows.length} rows, ${chars} chars, ${ms.toFixed(1)} ms, ${(ms * 1000 / (chars / 1024)).toFixed(1)} us/KB`);
  }
  const big = rows.join('\n').slice(0, 100 * 1024);
  for (let r = 0; r < 3; r++) { const t0 = performance.now(); detectInjection(big); console.log('100KB', (performance.now() - t0).toFixed(2), 'ms'); }
});
