import type { Figures, HostFailureReport } from './decision.ts';
import { listNames, plural } from './format.ts';
import type { RingHealth } from './host-verdict.ts';
import type { LatencyComparison, LatencyVerdict } from './latency-gate.ts';

/* The sentences and figures a decision carries, so a release manager can see why without the code. */

export function describeBreach(h: RingHealth): string {
  return `ring ${h.name}: ${plural(h.failed.length, 'failed host')}, over its failure budget of ${h.budget}: ${describeHosts(h.failed)}`;
}

export function describeHosts(hosts: readonly HostFailureReport[]): string {
  return listNames(hosts.map((h) => `${h.hostId} (${h.reason})`));
}

export function describeRegression(ring: string, c: LatencyComparison, alpha: number): string {
  const shift = Math.round((c.medianPatchedMs / c.medianBaselineMs - 1) * 100);
  return (
    `ring ${ring}: check ${c.check} is slower on patched hosts, median ${round(c.medianPatchedMs)} ms against ${round(c.medianBaselineMs)} ms` +
    (Number.isFinite(shift) ? ` (+${shift} %)` : '') +
    `, p = ${c.p.toPrecision(2)} < ${alpha.toPrecision(2)} (Mann-Whitney U, ${c.patchedSamples} patched and ${c.baselineSamples} baseline samples)`
  );
}

export function describeLatency(latency: LatencyVerdict): string[] {
  const judged = latency.compared.map(
    (c) =>
      `latency of ${c.check}: median ${round(c.medianPatchedMs)} ms patched against ${round(c.medianBaselineMs)} ms, ` +
      `p = ${c.p.toPrecision(2)}, no regression`,
  );
  const unjudged = latency.tooFewSamples.map(
    (s) => `latency of ${s.check} not judged: ${s.patchedSamples} patched and ${s.baselineSamples} baseline samples`,
  );
  return judged.length + unjudged.length > 0 ? [...judged, ...unjudged] : ['no latency samples to judge'];
}

export function healthFigures(h: RingHealth): Figures {
  return {
    [`${h.name}.size`]: h.size,
    [`${h.name}.patched`]: h.patched,
    [`${h.name}.passing`]: h.passing,
    [`${h.name}.flaky`]: h.flaky.length,
    [`${h.name}.suspect`]: h.suspect.length,
    [`${h.name}.unobserved`]: h.unobserved.length,
    [`${h.name}.failed`]: h.failed.length,
    [`${h.name}.budget`]: h.budget,
    [`${h.name}.passRate`]: h.passRate,
  };
}

export function latencyFigures(ring: string, latency: LatencyVerdict): Figures {
  const figures: Figures = { [`${ring}.latency.alphaPerCheck`]: latency.alphaPerCheck };
  for (const c of latency.compared) {
    const key = `${ring}.latency.${c.check}`;
    Object.assign(figures, {
      [`${key}.p`]: c.p,
      [`${key}.u`]: c.u,
      [`${key}.z`]: c.z,
      [`${key}.medianPatchedMs`]: c.medianPatchedMs,
      [`${key}.medianBaselineMs`]: c.medianBaselineMs,
      [`${key}.patchedSamples`]: c.patchedSamples,
      [`${key}.baselineSamples`]: c.baselineSamples,
    });
  }
  for (const s of latency.tooFewSamples) {
    const key = `${ring}.latency.${s.check}`;
    Object.assign(figures, { [`${key}.patchedSamples`]: s.patchedSamples, [`${key}.baselineSamples`]: s.baselineSamples });
  }
  return figures;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
