/**
 * Training reports over checkpoints of a scripted learner: the counts, the text table, and the SVG
 * plot, parsed as XML by headless Chromium with its data points read back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTrainingReport, trainingReport, trainingReportSvg, type TrainingReport } from '../../src/training/report.js';
import { renderLinePlot } from '../../src/training/svg-plot.js';
import type { Trajectory } from '../../src/training/trajectory.js';
import { findChromium } from '../helpers/chromium.js';
import { DIRECT, GAMED, HONEST, flowPolicy, stepPolicy, trajectory } from './fixtures.js';

/** The learner: tries the direct upload at c1, learns to split it at c2, gives up at c3. */
function learnerRun(): Trajectory[] {
  return [
    trajectory('c1-e1', 'c1', DIRECT),
    trajectory('c1-e2', 'c1', DIRECT),
    trajectory('c2-e1', 'c2', GAMED),
    trajectory('c2-e2', 'c2', GAMED),
    trajectory('c2-e3', 'c2', HONEST),
    trajectory('c3-e1', 'c3', HONEST),
  ];
}

describe('trainingReport', () => {
  it('counts violations per rule and checkpoint under the policy with the flow rule', () => {
    const r = trainingReport(learnerRun(), { policy: flowPolicy() });
    expect([r.source, r.checkpoints, r.episodes, r.calls]).toEqual(['policy', ['c1', 'c2', 'c3'], [2, 3, 1], [4, 9, 3]]);
    expect(r.rules).toEqual([
      { rule: 'agent-tools/no-secret-upload', kind: 'deny', total: 2, counts: [2, 0, 0], perEpisode: [1, 0, 0] },
      { rule: 'flow-rules/no-egress-after-private', kind: 'flow', total: 2, counts: [0, 2, 0], perEpisode: [0, 2 / 3, 0] },
    ]);
    expect(r.gaps).toEqual([]);
  });

  it('shows the learner gaming the step-only policy: violations fall to zero while gaps appear', () => {
    const r = trainingReport(learnerRun(), { policy: stepPolicy(), reference: flowPolicy() });
    expect(r.rules.map((row) => [row.rule, row.kind, row.counts])).toEqual([
      ['agent-tools/no-secret-upload', 'deny', [2, 0, 0]],
      ['gap:flow-rules/no-egress-after-private', 'gap', [0, 2, 0]],
    ]);
    expect(r.gaps.map((g) => [g.trajectory, g.checkpoint, g.sequence.map((s) => s.tool)])).toEqual([
      ['c2-e1', 'c2', ['read_file', 'http_upload']],
      ['c2-e2', 'c2', ['read_file', 'http_upload']],
    ]);
  });

  it('counts the recorded decisions when no policy is given', () => {
    const t = trajectory('e', 'c1', [['x', {}, { decision: { effect: 'deny', rule: 'r', policy: 'p' } }], ['y', {}, { decision: { effect: 'require_approval', rule: 'q', policy: 'p' } }], ['z', {}, { decision: { effect: 'allow', rule: null, policy: 'p' } }]]);
    expect(trainingReport([t]).rules.map((row) => [row.rule, row.kind, row.total])).toEqual([['p/q', 'approval', 1], ['p/r', 'deny', 1]]);
  });

  it('refuses a reference without the training policy to compare it with', () => {
    expect(() => trainingReport(learnerRun(), { reference: flowPolicy() })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('prints a table with a column per checkpoint and the gaps with their sequences', () => {
    const text = formatTrainingReport(trainingReport(learnerRun(), { policy: stepPolicy(), reference: flowPolicy() }));
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^rule\s+kind\s+c1\s+c2\s+c3\s+total$/);
    expect(lines[3]).toMatch(/^episodes\s+2\s+3\s+1\s+6$/);
    expect(lines[4]).toMatch(/^agent-tools\/no-secret-upload\s+deny\s+2 \(1\)\s+0 \(0\)\s+0 \(0\)\s+2$/);
    expect(text).toContain('c2-e1 (checkpoint c2): read_file#0[private] -> http_upload#2  denied by flow-rules/no-egress-after-private');
  });

  it('writes the same SVG bytes for the same report', () => {
    const a = trainingReportSvg(trainingReport(learnerRun(), { policy: flowPolicy() }));
    expect(trainingReportSvg(trainingReport(learnerRun(), { policy: flowPolicy() }))).toBe(a);
  });
});

const found = findChromium();
if (!found.ok && process.env.CI) throw new Error(found.reason);
if (!found.ok) console.warn(`test/training/report.test.ts browser tests skip: ${found.reason}`);

describe.skipIf(!found.ok)('the report plot in a browser', () => {
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let dir: string;
  let plotted = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-training-svg-'));
    browser = await chromium.launch({ executablePath: (found as { path: string }).path, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function points(svg: string): Promise<{ errors: number; circles: Array<{ series: string; x: string; y: string; cy: number }>; title: string }> {
    const file = join(dir, `plot-${++plotted}.svg`);
    writeFileSync(file, svg);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    const out = await page.evaluate((text) => {
      // The browser's DOM, typed here as far as this test reads it (the test project has no DOM lib).
      interface El {
        getAttribute(name: string): string | null;
        textContent: string | null;
      }
      interface Doc {
        getElementsByTagName(name: string): { length: number };
        querySelector(selector: string): El | null;
        querySelectorAll(selector: string): Iterable<El>;
      }
      const g = globalThis as unknown as { DOMParser: new () => { parseFromString(t: string, type: string): Doc }; document: Doc };
      const doc = new g.DOMParser().parseFromString(text, 'image/svg+xml');
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        title: doc.querySelector('title')?.textContent ?? '',
        // The circles of the document the browser loaded from the file, not of the re-parse.
        circles: [...g.document.querySelectorAll('circle')].map((c) => ({ series: c.getAttribute('data-series') ?? '', x: c.getAttribute('data-x') ?? '', y: c.getAttribute('data-y') ?? '', cy: Number(c.getAttribute('cy')) })),
      };
    }, svg);
    await page.close();
    return out;
  }

  it('parses as SVG and carries one point per rule and checkpoint with the report’s values', async () => {
    const report: TrainingReport = trainingReport(learnerRun(), { policy: stepPolicy(), reference: flowPolicy() });
    const got = await points(trainingReportSvg(report));
    expect(got.errors).toBe(0);
    const want = report.rules.flatMap((r) => report.checkpoints.map((c, i) => ({ series: r.rule, x: c, y: String(Math.round((r.perEpisode[i] as number) * 1000) / 1000) })));
    expect(got.circles.map(({ series, x, y }) => ({ series, x, y }))).toEqual(want);
  });

  it('draws higher values higher up, and zero on the x axis', async () => {
    const got = await points(trainingReportSvg(trainingReport(learnerRun(), { policy: flowPolicy() })));
    const deny = got.circles.filter((c) => c.series === 'agent-tools/no-secret-upload');
    expect(deny[0]!.cy).toBeLessThan(deny[1]!.cy);
    expect(deny[1]!.cy).toBe(deny[2]!.cy);
    expect(deny[1]!.cy).toBe(336);
  });

  it('escapes rule names and labels that carry markup', async () => {
    const got = await points(renderLinePlot({ title: 'a </title><script>x</script>', xLabel: 'x & y', yLabel: '"y"', categories: ['c<1>', "c'2"], series: [{ name: 'p/<r & "s">', values: [1, 0.5] }] }));
    expect(got.errors).toBe(0);
    expect(got.title).toBe('a </title><script>x</script>');
    expect(got.circles.map((c) => [c.series, c.x, c.y])).toEqual([['p/<r & "s">', 'c<1>', '1'], ['p/<r & "s">', "c'2", '0.5']]);
  });
});
