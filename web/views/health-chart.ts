import type { HealthSample } from '../../rollout/store/rollout-store.ts';
import { html, type SafeHtml } from '../html.ts';
import { duration, percent } from './format.ts';

/*
 * Ring health over time as server-rendered SVG: one line of pass rate per ring, a mark where a
 * ring had failures and a red one where it went over its failure budget. Colours come from the
 * stylesheet (classes ring-0, ring-1, ...), so the chart needs no inline style. Pure.
 */

export interface ChartOptions {
  width?: number;
  height?: number;
  /** Points per ring at most; more samples are bucketed, keeping each bucket's worst. */
  maxPoints?: number;
}

interface Point {
  at: number;
  passRate: number | null;
  failed: number;
  budget: number;
}

const MARGIN = { left: 60, right: 12, top: 12, bottom: 28 };
/** Pixels between the lines of rings at the same pass rate. */
const LINE_GAP = 3;

/** The chart last drawn from each list of samples: a page polled every two seconds mostly redraws the same one. */
const drawn = new WeakMap<readonly HealthSample[], { key: string; chart: SafeHtml }>();

export function healthChart(samples: readonly HealthSample[], ringNames: readonly string[], options: ChartOptions = {}): SafeHtml {
  const key = JSON.stringify([ringNames, options]);
  const known = drawn.get(samples);
  if (known?.key === key) return known.chart;
  const chart = drawChart(samples, ringNames, options);
  drawn.set(samples, { key, chart });
  return chart;
}

function drawChart(samples: readonly HealthSample[], ringNames: readonly string[], options: ChartOptions): SafeHtml {
  const width = options.width ?? 600;
  const height = options.height ?? 200;
  const maxPoints = options.maxPoints ?? 240;
  if (samples.length === 0) return html`<p class="muted chart-empty">No health samples yet: they start with the first round of checks.</p>`;

  const t0 = Math.min(...samples.map((s) => s.at));
  const t1 = Math.max(t0 + 1000, ...samples.map((s) => s.at));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const x = (at: number) => round(MARGIN.left + ((at - t0) / (t1 - t0)) * plotW);
  const y = (share: number) => round(MARGIN.top + (1 - share) * plotH);

  const names = [...ringNames, ...new Set(samples.map((s) => s.ring).filter((r) => !ringNames.includes(r)))];
  const series = names
    .map((ring, index) => ({ ring, index, points: downsample(samples.filter((s) => s.ring === ring), maxPoints, t0, t1) }))
    .filter((s) => s.points.length > 0);

  const grid = [0, 0.5, 1].map(
    (share) => html`<line class="grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y(share)}" y2="${y(share)}"></line>
<text class="axis" x="${MARGIN.left - 6}" y="${y(share) + 4}" text-anchor="end">${percent(share)}</text>`,
  );
  const lines = series.map(({ ring, index, points }, n) => {
    // Rings at the same pass rate (all at 100 %, most of the time) would draw one line over the
    // other: each ring's line sits a few pixels off the value, in the order of the legend, and has
    // its own dash. The marks and the tooltips keep the exact value.
    const offset = round((n - (series.length - 1) / 2) * LINE_GAP);
    const paths = segments(points).map((segment) =>
      segment.length === 1
        ? html`<circle class="dot ring-${index % 8}" cx="${x(segment[0]!.at)}" cy="${y(segment[0]!.passRate ?? 0) + offset}" r="2.5"></circle>`
        : html`<path class="line ring-${index % 8}" d="${stepPath(segment, x, (share) => round(y(share) + offset))}"></path>`,
    );
    // Marked where the count of failures changes, so a long failure is one mark and not a row of them.
    const marks = points
      .filter((p, i) => p.failed > 0 && (p.failed !== points[i - 1]?.failed || (p.failed > p.budget) !== ((points[i - 1]?.failed ?? 0) > (points[i - 1]?.budget ?? 0))))
      .map(
        (p) => html`<circle class="${p.failed > p.budget ? 'breach' : 'failure'}" cx="${x(p.at)}" cy="${y(p.passRate ?? 0)}" r="4"><title>${ring}: ${p.failed} failed, budget ${p.budget}, pass rate ${percent(p.passRate)}</title></circle>`,
      );
    return html`<g class="series" data-ring="${ring}">${paths}${marks}</g>`;
  });
  const last = new Map(series.map((s) => [s.ring, s.points.at(-1)]));
  const label = `Pass rate per ring over ${duration(t1 - t0)}: ${series.map((s) => `${s.ring} ${percent(last.get(s.ring)?.passRate ?? null)}`).join(', ')}`;

  return html`<figure class="chart">
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}" preserveAspectRatio="xMidYMid meet">
<title>${label}</title>
${grid}
<text class="axis time" x="${MARGIN.left}" y="${height - 8}">${timeOfDay(t0)}</text>
<text class="axis time" x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${timeOfDay((t0 + t1) / 2)}</text>
<text class="axis time" x="${width - MARGIN.right}" y="${height - 8}" text-anchor="end">${timeOfDay(t1)} UTC</text>
${lines}
</svg>
<figcaption class="legend">${series.map((s) => html`<span><svg class="key" viewBox="0 0 24 8" aria-hidden="true"><line class="line ring-${s.index % 8}" x1="0" y1="4" x2="24" y2="4"></line></svg>${s.ring}</span>`)}<span><i class="swatch failure"></i>failures</span><span><i class="swatch breach"></i>over budget</span></figcaption>
</figure>`;
}

/**
 * Steps, not slopes: a pass rate holds from one sample until the next, so the line runs level and
 * drops (or climbs) where a sample says it changed, never a slope between two samples 2 s apart.
 */
function stepPath(points: readonly Point[], x: (at: number) => number, y: (share: number) => number): string {
  return points.map((p, i) => (i === 0 ? `M${x(p.at)} ${y(p.passRate ?? 0)}` : `H${x(p.at)} V${y(p.passRate ?? 0)}`)).join(' ');
}

/** "11:54:35", UTC as the store keeps it. */
function timeOfDay(ms: number): string {
  return new Date(Math.round(ms)).toISOString().slice(11, 19);
}

/** Runs of points with a pass rate; a null (no host patched yet) breaks the line. */
function segments(points: readonly Point[]): Point[][] {
  const runs: Point[][] = [];
  let run: Point[] = [];
  for (const p of points) {
    if (p.passRate === null) {
      if (run.length > 0) runs.push(run);
      run = [];
    } else run.push(p);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** At most `max` points, one per time bucket: the worst of each, so a dip is never averaged away. */
export function downsample(samples: readonly HealthSample[], max: number, t0: number, t1: number): Point[] {
  const points = samples.map((s) => ({ at: s.at, passRate: s.passRate, failed: s.failed, budget: s.budget }));
  if (points.length <= max) return points;
  const buckets = new Map<number, Point>();
  for (const p of points) {
    const bucket = Math.min(max - 1, Math.floor(((p.at - t0) / (t1 - t0 || 1)) * max));
    const kept = buckets.get(bucket);
    if (!kept || tellsMore(p, kept)) buckets.set(bucket, p);
  }
  return [...buckets.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
}

/** The point a bucket should show: more failures over budget, then a lower pass rate, then any pass rate over none. */
function tellsMore(a: Point, b: Point): boolean {
  if (a.failed - a.budget !== b.failed - b.budget) return a.failed - a.budget > b.failed - b.budget;
  if (b.passRate === null) return a.passRate !== null;
  return a.passRate !== null && a.passRate < b.passRate;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
