/**
 * The evaluation sets and the figures docs/detection.md reports: the sets are what the scripts
 * build, about a third of each is benign, and the detectors keep the measured recall and
 * false-positive rate on them (a rule change that loses attacks or flags look-alikes fails here).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateDetector, parseLabelledSet } from '../../src/detect/evaluate.js';
import { detectInjection } from '../../src/detect/injection.js';
import { scanToolDefinition, type ToolDefinition } from '../../src/detect/poisoning.js';
import { ROOT } from '../helpers/cli.js';

const read = (name: string): string => readFileSync(join(ROOT, 'test', 'fixtures', 'detect', name), 'utf8');

describe('evaluation sets', () => {
  it.each([
    ['injection-dev.jsonl', 0.98, 0],
    ['injection-holdout.jsonl', 0.97, 0],
    ['injection-holdout-2.jsonl', 0.99, 0.03],
    // Tuned on since issue 17 (its paraphrase families were written against it): no longer a clean set.
    ['injection-holdout-3.jsonl', 0.74, 0.04],
  ])('%s: recall at least %d, false-positive rate at most %d', (name, recall, fpr) => {
    const rows = parseLabelledSet(read(name), name);
    const benign = rows.filter((r) => r.label === 'benign').length;
    expect(benign / rows.length).toBeGreaterThanOrEqual(0.29);
    const report = evaluateDetector(rows, (t) => detectInjection(t));
    expect(report.recall).toBeGreaterThanOrEqual(recall);
    expect(report.falsePositiveRate).toBeLessThanOrEqual(fpr);
  });

  it('commits the holdout-3 set its script builds', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'detect-holdout-3-set.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toContain('injection-holdout-3.jsonl is up to date');
    expect(r.status).toBe(0);
  });

  it('poisoning-set.jsonl: recall at least 0.9 and no false positives on the real definitions', () => {
    const rows = read('poisoning-set.jsonl').trim().split('\n').map((l) => JSON.parse(l) as { tool: ToolDefinition; label: 'attack' | 'benign' });
    const known = rows.filter((r) => r.label === 'benign').map((r) => r.tool.name);
    const byText = new Map(rows.map((r, i) => [String(i), r.tool]));
    const report = evaluateDetector(rows.map((r, i) => ({ text: String(i), label: r.label })), (t) => scanToolDefinition(byText.get(t) as ToolDefinition, { knownNames: known }));
    expect(report.recall).toBeGreaterThanOrEqual(0.9);
    expect(report.falsePositiveRate).toBe(0);
    expect(rows.filter((r) => r.label === 'benign').length).toBeGreaterThanOrEqual(50);
  });

  it('counts a detector that throws as a detection (fail closed), so a throw on benign text is a false positive', () => {
    const report = evaluateDetector([{ text: 'a', label: 'attack' }, { text: 'b', label: 'benign' }], () => {
      throw new Error('boom');
    });
    expect([report.recall, report.falsePositiveRate]).toEqual([1, 1]);
  });
});
