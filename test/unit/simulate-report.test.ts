import { describe, expect, it } from 'vitest';
import { summarize } from '../../rollout/simulate/compare.ts';
import { builtInComparison, standardRings } from '../../rollout/simulate/policies.ts';
import type { SimulationResult } from '../../rollout/simulate/result.ts';
import { patchedOverTimeSvg } from '../../rollout/simulate/svg-plot.ts';
import { formatDuration } from '../../rollout/engine/format.ts';
import { comparisonNotes, comparisonTable } from '../../rollout/simulate/table.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { DEFAULT_RINGS } from '../../rollout/engine/plan.ts';
import { HOUR, MINUTE, simulate } from './simulate-harness.ts';

function result(overrides: Partial<SimulationResult>): SimulationResult {
  return {
    name: 'p',
    seed: 1,
    hosts: 1000,
    rings: [
      { name: 'canary', hosts: 10, concurrency: 1, failureBudget: 0, soakMs: HOUR, ended: { patched: 10, failed: 0, rolledBack: 0 } },
      { name: 'broad', hosts: 990, concurrency: 99, failureBudget: 9, soakMs: HOUR, ended: { patched: 990, failed: 0, rolledBack: 0 } },
    ],
    outcome: 'completed',
    stopReason: null,
    durationMs: 5 * HOUR,
    timeTo95Ms: 4 * HOUR,
    peakPatched: 1000,
    finalPatched: 1000,
    harmedHosts: 0,
    blastRadius: 0,
    harmedHostHours: 0,
    startedBeforeRollback: 1000,
    rollback: null,
    falseRollback: false,
    pauses: 0,
    timeline: [],
    series: { atMs: [0, HOUR, 5 * HOUR], patched: [0, 10, 1000] },
    work: { engineSteps: 12, consults: 10, hostEvents: 2000, queueEvents: 2000 },
    ...overrides,
  };
}

describe('comparison set', () => {
  it('compares the scenario as written with rings 1/9/90 and 5/15/80, soaking 1 h and 24 h, under the scenario policy', () => {
    const variants = builtInComparison({ rings: DEFAULT_RINGS, policy: STANDARD_POLICY });
    expect(variants.map((v) => v.name)).toEqual(['as written', '1/9/90, soak 1 h', '1/9/90, soak 24 h', '5/15/80, soak 1 h', '5/15/80, soak 24 h']);
    expect(variants.every((v) => v.policy === STANDARD_POLICY)).toBe(true);
    expect(variants[0]?.rings).toBe(DEFAULT_RINGS);
    expect(variants[4]?.rings.map((r) => [r.name, r.hosts, r.soakMs])).toEqual([
      ['canary', { percent: 5 }, 24 * HOUR],
      ['pilot', { percent: 15 }, 24 * HOUR],
      ['broad', 'rest', 24 * HOUR],
    ]);
  });

  it('gives 1/9/90 on a thousand hosts rings of 10, 90 and 900', () => {
    const r = simulate({ hosts: 1000, rings: standardRings(1, 9, 0) });
    expect(r.rings.map((x) => [x.hosts, x.concurrency, x.failureBudget])).toEqual([
      [10, 1, 0],
      [90, 9, 1],
      [900, 90, 9],
    ]);
  });
});

describe('comparison table', () => {
  it('shows spans of simulated time in the largest sensible unit', () => {
    expect([30_000, 12 * MINUTE, 3 * HOUR, 3 * HOUR + 20 * MINUTE, 47 * HOUR, 50 * HOUR, 72 * HOUR].map((ms) => formatDuration(ms))).toEqual([
      '30 s',
      '12 min',
      '3 h',
      '3 h 20 min',
      '47 h',
      '2 d 2 h',
      '3 d',
    ]);
  });

  it('puts one policy on a row, its figures under the issue\'s headings', () => {
    const summaries = [
      summarize('fast', [result({})], 0.01),
      summarize('careful', [result({ outcome: 'rolled-back', timeTo95Ms: null, finalPatched: 0, rollback: { atMs: 90 * MINUTE, ring: 'canary', actor: 'engine', reasons: ['ring canary: 1 failed host, over its failure budget of 0: web-1 (failed)'] }, harmedHosts: 5, blastRadius: 1, harmedHostHours: 0.5 })], 0.01),
      summarize('never', [result({ outcome: 'stopped', stopReason: 'not simulated: the plan needs at least 99 engine decisions' })], null),
    ];
    const lines = comparisonTable(summaries).split('\n');
    expect(lines[0]).toMatch(/^policy\s+rings \(hosts\)\s+soak\s+outcome\s+95 % patched after\s+blast radius\s+false rollback\s+rolled back in canary\s+engine steps$/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    expect(lines[2]).toMatch(/^fast\s+10 \/ 990\s+1 h\s+completed\s+4 h\s+0\s+no\s+no \(expected 9\.56 %\)\s+12$/);
    expect(lines[3]).toMatch(/^careful\s+10 \/ 990\s+1 h\s+rolled back during canary at 1 h 30 min\s+never\s+1, 0\.5 host-h\s+no\s+yes \(expected 9\.56 %\)\s+12$/);
    expect(lines[4]).toMatch(/^never\s+10 \/ 990\s+1 h\s+not simulated \(see below\)\s+-\s+-\s+-\s+-\s+12$/);
    expect(comparisonNotes(summaries)).toEqual([
      'careful: rolled back by engine: ring canary: 1 failed host, over its failure budget of 0: web-1 (failed)',
      'never: not simulated: the plan needs at least 99 engine decisions',
    ]);
    expect(comparisonNotes(summaries, 1 - 0.98)[0]).toMatch(/^expected: the chance the first ring catches a patch that breaks each host with probability p = 0\.02: .*1 - \(1 - p\)\^n when b = 0/);
  });

  it('gives rates, medians and means over several runs', () => {
    const runs = [
      result({ timeTo95Ms: 2 * HOUR }),
      result({ timeTo95Ms: 4 * HOUR }),
      result({ outcome: 'rolled-back', timeTo95Ms: null, falseRollback: true, rollback: { atMs: HOUR, ring: 'canary', actor: 'engine', reasons: ['noise'] } }),
    ];
    const line = comparisonTable([summarize('x', runs, null)]).split('\n')[2];
    expect(line).toMatch(/completed 2\/3, rolled back 1\/3 \(1 during canary\)\s+3 h \(2\/3 reached\)\s+mean 0\.0, max 0\s+1\/3\s+33\.3 %\s+36$/);
  });
});

describe('the plot', () => {
  it('draws one step line per policy on a percentage axis, with the 95 % line and a legend', () => {
    const svg = patchedOverTimeSvg(
      [
        { label: 'a <fast> & "loose" plan', hosts: 100, atMs: [0, HOUR, 2 * HOUR], patched: [0, 50, 100] },
        { label: 'b', hosts: 200, atMs: [0, 3 * HOUR], patched: [0, 100] },
      ],
      'demo: hosts on the patch',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path d="M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)+(H[\d.]+)?"/g)).toHaveLength(2);
    expect(svg).toContain('a &lt;fast&gt; &amp; &quot;loose&quot; plan');
    expect(svg).toContain('95 % of the fleet');
    expect(svg).toContain('time since the rollout started (minutes)');
    // Each line is a share of its own fleet: 100 of 100 hosts ends at the top, 100 of 200 halfway.
    const ends = [...svg.matchAll(/<path d="[^"]*V([\d.]+)(H[\d.]+)?"/g)].map((m) => Number(m[1]));
    // The line that ended first carries on flat to where the other ends.
    expect(svg).toMatch(/<path d="[^"]*V[\d.]+H930" fill="none" stroke="#1b9e77"/);
    const top = Number(svg.match(/<text x="[\d.]+" y="([\d.]+)" [^>]*>100 %<\/text>/)?.[1]);
    const bottom = Number(svg.match(/<text x="[\d.]+" y="([\d.]+)" [^>]*>0 %<\/text>/)?.[1]);
    expect(ends).toEqual([top, (top + bottom) / 2]);
    const opens = (svg.match(/<(?!\/)[a-z]+[^>]*[^/]>/g) ?? []).length;
    const closes = (svg.match(/<\/[a-z]+>/g) ?? []).length;
    expect(opens).toBe(closes);
  });

  it('switches to days for a long rollout, and draws a rollout that never moved as a flat line', () => {
    const svg = patchedOverTimeSvg([{ label: 'stuck', hosts: 50, atMs: [0, 5 * 24 * HOUR], patched: [0, 0] }], 't');
    expect(svg).toContain('time since the rollout started (days)');
    const flat = svg.match(/<path d="M([\d.]+) ([\d.]+)H([\d.]+)V([\d.]+)"/);
    expect(flat?.[2]).toBe(flat?.[4]);
  });
});
