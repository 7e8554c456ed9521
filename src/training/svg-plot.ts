/**
 * A small, deterministic SVG line plot: categories along x (checkpoints), one line per series
 * (rules), numbers along y. The same input gives the same bytes. Every point is a `<circle>`
 * carrying `data-series`, `data-x` and `data-y`, so a test (or a person) can read the values back.
 */

/**
 * One line of a plot.
 *
 * @example
 * ```ts
 * const s: PlotSeries = { name: 'guard/no-secrets', values: [4, 2, 0] };
 * ```
 */
export interface PlotSeries {
  name: string;
  /** One value per category; finite. */
  values: readonly number[];
}

/**
 * What to draw.
 *
 * @example
 * ```ts
 * const plot: LinePlot = { title: 'Violations per episode', xLabel: 'checkpoint', yLabel: 'per episode', categories: ['c1', 'c2'], series: [{ name: 'r', values: [1, 0] }] };
 * ```
 */
export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly PlotSeries[];
}

const WIDTH = 720;
const HEIGHT = 400;
const LEFT = 64;
const RIGHT = 220;
const TOP = 48;
const BOTTOM = 64;
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/**
 * Most series drawn; the rest are named in a note (the table has them all).
 *
 * @example
 * ```ts
 * if (report.rules.length > MAX_PLOT_SERIES) console.log('the plot shows the first rules; see the table');
 * ```
 */
export const MAX_PLOT_SERIES = 10;

/**
 * Renders a line plot as an SVG document.
 *
 * @example
 * ```ts
 * const svg = renderLinePlot({ title: 'Violations', xLabel: 'checkpoint', yLabel: 'per episode', categories: ['c1', 'c2'], series: [{ name: 'p/r', values: [2, 1] }] });
 * svg.startsWith('<svg'); // true
 * ```
 */
export function renderLinePlot(plot: LinePlot): string {
  const n = plot.categories.length;
  const shown = plot.series.slice(0, MAX_PLOT_SERIES);
  const max = niceMax(Math.max(0, ...shown.flatMap((s) => s.values.filter((v) => Number.isFinite(v)))));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (i: number): number => LEFT + (n <= 1 ? plotW / 2 : (plotW * i) / (n - 1));
  const y = (v: number): number => TOP + plotH - (max === 0 ? 0 : (plotH * v) / max);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(plot.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${esc(plot.title)}</text>`);
  // Axes and horizontal grid lines at five ticks.
  out.push(`<line x1="${LEFT}" y1="${TOP + plotH}" x2="${LEFT + plotW}" y2="${TOP + plotH}" stroke="#333333"/>`);
  out.push(`<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotH}" stroke="#333333"/>`);
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    const ty = fmt(y(v));
    out.push(`<line x1="${LEFT}" y1="${ty}" x2="${LEFT + plotW}" y2="${ty}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${LEFT - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${fmtValue(v)}</text>`);
  }
  plot.categories.forEach((c, i) => {
    out.push(`<text x="${fmt(x(i))}" y="${TOP + plotH + 18}" text-anchor="middle">${esc(c)}</text>`);
  });
  out.push(`<text x="${fmt(LEFT + plotW / 2)}" y="${HEIGHT - 16}" text-anchor="middle">${esc(plot.xLabel)}</text>`);
  out.push(`<text x="16" y="${fmt(TOP + plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(TOP + plotH / 2)})">${esc(plot.yLabel)}</text>`);
  shown.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length] as string;
    const points = s.values.map((v, i) => `${fmt(x(i))},${fmt(y(v))}`).join(' ');
    out.push(`<g class="series" data-series="${esc(s.name)}">`);
    if (s.values.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
    s.values.forEach((v, i) => {
      out.push(`<circle cx="${fmt(x(i))}" cy="${fmt(y(v))}" r="3.5" fill="${color}" data-series="${esc(s.name)}" data-x="${esc(plot.categories[i] ?? '')}" data-y="${fmtValue(v)}"/>`);
    });
    out.push('</g>');
    const ly = TOP + 8 + k * 18;
    out.push(`<rect x="${WIDTH - RIGHT + 16}" y="${ly - 6}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${WIDTH - RIGHT + 34}" y="${ly + 4}">${esc(clip(s.name, 28))}</text>`);
  });
  if (plot.series.length > shown.length) {
    out.push(`<text x="${WIDTH - RIGHT + 16}" y="${TOP + 8 + shown.length * 18 + 4}" fill="#666666">+${plot.series.length - shown.length} more (see the table)</text>`);
  }
  if (shown.length === 0) out.push(`<text x="${fmt(LEFT + plotW / 2)}" y="${fmt(TOP + plotH / 2)}" text-anchor="middle" fill="#666666">no violations</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The smallest of 1, 2, 5 x 10^k at or above `v` (1 for 0). */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/**
 * A value as the plot writes it (at most three decimals).
 *
 * @example
 * ```ts
 * fmtValue(2 / 3); // '0.667'
 * ```
 */
export function fmtValue(n: number): string {
  const r = Math.round(n * 1000) / 1000;
  return String(r === 0 ? 0 : r);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** XML text and attribute escaping; characters XML 1.0 forbids are dropped. */
function esc(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
