/** One line of the plot: a policy's hosts on the patch over time, as a step function. */
export interface PlotSeries {
  label: string;
  /** Fleet size, so lines of any fleet share one percentage axis. */
  hosts: number;
  atMs: readonly number[];
  patched: readonly number[];
}

const WIDTH = 960;
const PLOT = { left: 70, right: 30, top: 50, height: 330 };
const LEGEND_ROW = 22;
const COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];
const HOUR = 3_600_000;

/**
 * Patched hosts over time, one line per policy, with the 95 % line the exposure window is
 * measured at. A self-contained SVG (no script, no external font or style), so any browser or
 * file viewer shows it.
 */
export function patchedOverTimeSvg(series: readonly PlotSeries[], title: string): string {
  const legendTop = PLOT.top + PLOT.height + 50;
  const height = legendTop + LEGEND_ROW * Math.max(series.length, 1) + 10;
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const end = Math.max(HOUR / 60, ...series.map((s) => s.atMs[s.atMs.length - 1] ?? 0));
  const { unit, unitMs, step } = timeAxis(end);
  const x = (ms: number) => PLOT.left + (ms / end) * plotWidth;
  const y = (share: number) => PLOT.top + (1 - share) * PLOT.height;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="28" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let share = 0; share <= 1.0001; share += 0.2) {
    const yy = fixed(y(share));
    parts.push(`<line x1="${PLOT.left}" y1="${yy}" x2="${PLOT.left + plotWidth}" y2="${yy}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${PLOT.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${Math.round(share * 100)} %</text>`);
  }
  for (let t = 0; t <= end + 1e-9; t += step * unitMs) {
    const xx = fixed(x(t));
    parts.push(`<line x1="${xx}" y1="${PLOT.top}" x2="${xx}" y2="${PLOT.top + PLOT.height}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${xx}" y="${PLOT.top + PLOT.height + 18}" text-anchor="middle">${fixed(t / unitMs)}</text>`);
  }
  const y95 = fixed(y(0.95));
  parts.push(`<line x1="${PLOT.left}" y1="${y95}" x2="${PLOT.left + plotWidth}" y2="${y95}" stroke="#c00000" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${PLOT.left + plotWidth}" y="${fixed(y(0.95) - 6)}" text-anchor="end" fill="#c00000">95 % of the fleet</text>`);
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${plotWidth}" height="${PLOT.height}" fill="none" stroke="#999999"/>`);
  parts.push(`<text x="${PLOT.left + plotWidth / 2}" y="${PLOT.top + PLOT.height + 38}" text-anchor="middle">time since the rollout started (${unit})</text>`);
  parts.push(`<text transform="translate(18 ${PLOT.top + PLOT.height / 2}) rotate(-90)" text-anchor="middle">hosts on the patch</text>`);

  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const share = (n: number) => (s.hosts > 0 ? n / s.hosts : 0);
    const path: string[] = [];
    for (let k = 0; k < s.atMs.length; k++) {
      const xx = fixed(x(s.atMs[k]!));
      const yy = fixed(y(share(s.patched[k]!)));
      path.push(k === 0 ? `M${xx} ${yy}` : `H${xx}V${yy}`);
    }
    // Nothing changes once a rollout has ended: its line carries on flat to the right edge.
    if (path.length > 0 && (s.atMs[s.atMs.length - 1] ?? 0) < end) path.push(`H${fixed(x(end))}`);
    if (path.length > 0) parts.push(`<path d="${path.join('')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const row = legendTop + i * LEGEND_ROW;
    parts.push(`<line x1="${PLOT.left}" y1="${row}" x2="${PLOT.left + 24}" y2="${row}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${PLOT.left + 32}" y="${row}" dominant-baseline="middle">${escape(s.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Hours up to three days, days beyond; about eight ticks at a round step. */
function timeAxis(endMs: number): { unit: string; unitMs: number; step: number } {
  const [unit, unitMs] = endMs <= 3 * HOUR ? ['minutes', 60_000] : endMs <= 72 * HOUR ? ['hours', HOUR] : ['days', 24 * HOUR];
  const span = endMs / unitMs;
  const step = [0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 500, 1000].find((s) => span / s <= 10) ?? Math.ceil(span / 10);
  return { unit, unitMs, step };
}

function fixed(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
