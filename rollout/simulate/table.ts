import type { PolicySummary } from './compare.ts';
import type { SimulationResult } from './result.ts';
import { formatDuration } from '../engine/format.ts';

// The CLI and the tests read the span format where they read the table.

const count = (n: number) => n.toLocaleString('en');

function share(k: number, n: number): string {
  return n === 1 ? (k === 1 ? 'yes' : 'no') : `${k}/${n}`;
}

/** The soaks of a plan: one figure when every ring soaks as long. */
function soaks(result: SimulationResult): string {
  const spans = result.rings.map((r) => formatDuration(r.soakMs));
  return new Set(spans).size === 1 ? (spans[0] ?? '') : spans.join(' / ');
}

function outcome(summary: PolicySummary): string {
  const runs = summary.results.length;
  const only = summary.results[0];
  if (runs === 1 && only) {
    if (only.outcome === 'completed') return 'completed';
    if (only.outcome === 'stopped') return only.stopReason?.startsWith('not simulated') ? 'not simulated (see below)' : 'stopped (see below)';
    return `rolled back during ${only.rollback?.ring ?? '?'} at ${formatDuration(only.rollback?.atMs ?? only.durationMs)}`;
  }
  const parts = [`completed ${summary.completed}/${runs}`];
  const where = Object.entries(summary.rolledBackIn).map(([ring, n]) => `${n} during ${ring}`);
  if (summary.rolledBack > 0) parts.push(`rolled back ${summary.rolledBack}/${runs} (${where.join(', ')})`);
  if (summary.stopped > 0) parts.push(`stopped ${summary.stopped}/${runs}`);
  return parts.join(', ');
}

function exposure(summary: PolicySummary): string {
  const runs = summary.results.length;
  if (summary.stopped === runs) return '-';
  if (summary.timeTo95.medianMs === null) return 'never';
  const median = formatDuration(summary.timeTo95.medianMs);
  return runs === 1 ? median : `${median} (${summary.timeTo95.reached}/${runs} reached)`;
}

function blast(summary: PolicySummary): string {
  const runs = summary.results.length;
  if (summary.stopped === runs) return '-';
  const hours = summary.results.reduce((sum, r) => sum + r.harmedHostHours, 0) / runs;
  const hostHours = hours > 0 ? `, ${hours < 10 ? hours.toFixed(1) : count(Math.round(hours))} host-h` : '';
  if (runs === 1) return `${count(summary.blastRadius.max)}${hostHours}`;
  return `mean ${summary.blastRadius.mean.toFixed(1)}, max ${count(summary.blastRadius.max)}${hostHours}`;
}

/** Rolled back while the first ring was current, beside the chance arithmetic gives when every host breaks alike. */
function canary(summary: PolicySummary): string {
  const { caught, expected } = summary.canary;
  const runs = summary.results.length;
  const measured = runs === 1 ? share(caught, 1) : `${((100 * caught) / runs).toFixed(1)} %`;
  return expected === null || expected === 0 ? measured : `${measured} (expected ${(100 * expected).toPrecision(3)} %)`;
}

/**
 * The policy comparison as the CLI prints it: one row per policy, the figures the issue asks
 * for (exposure window, blast radius, false rollbacks) and the work it took to simulate.
 */
export function comparisonTable(summaries: readonly PolicySummary[]): string {
  const header = ['policy', 'rings (hosts)', 'soak', 'outcome', '95 % patched after', 'blast radius', 'false rollback', 'rolled back in canary', 'engine steps'];
  const rows = summaries.map((s) => {
    const first = s.results[0];
    const runs = s.results.length;
    return [
      s.name,
      first ? first.rings.map((r) => count(r.hosts)).join(' / ') : '',
      first ? soaks(first) : '',
      outcome(s),
      exposure(s),
      blast(s),
      s.stopped === runs ? '-' : share(s.falseRollbacks, runs),
      s.stopped === runs ? '-' : canary(s),
      count(s.results.reduce((sum, r) => sum + r.work.engineSteps, 0)),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * What a reader needs to trust the table: why runs stopped or rolled back, in the engine's words,
 * and where the expected figures come from. `breakProbability` is the chance the patch breaks any
 * one host, when it is the same for all.
 */
export function comparisonNotes(summaries: readonly PolicySummary[], breakProbability: number | null = null): string[] {
  const notes: string[] = [];
  if (breakProbability !== null && breakProbability > 0) {
    notes.push(
      `expected: the chance the first ring catches a patch that breaks each host with probability p = ${Number(breakProbability.toPrecision(4))}: ` +
        `more than its failure budget b of its n hosts broken, 1 - (1 - p)^n when b = 0; noise, offline or slow hosts can roll back more often`,
    );
  }
  for (const s of summaries) {
    const first = s.results[0];
    if (!first) continue;
    const which = s.results.length > 1 ? `${s.name} (seed ${first.seed})` : s.name;
    if (first.outcome === 'stopped' && first.stopReason) notes.push(`${which}: ${first.stopReason}`);
    else if (first.rollback) notes.push(`${which}: rolled back by ${first.rollback.actor}: ${first.rollback.reasons[0] ?? ''}`);
    if (first.pauses > 0) notes.push(`${which}: paused ${first.pauses} time(s) for failures within the budget`);
  }
  return notes;
}
