import { describe, expect, it } from 'vitest';
import { architectureViolations } from '../architecture/cruise.ts';

const FIXTURE = 'test/fixtures/architecture/';

describe('architecture rules (dependency-cruiser)', () => {
  it('the project breaks none: the engine imports only itself, the lab stands alone, web starts no host, no loops', async () => {
    const violations = await architectureViolations(['lab', 'rollout', 'scenarios', 'web', 'bin']);
    expect(violations.map((v) => `${v.rule}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.join(' > ')})` : ''}`)).toEqual([]);
  });

  it('catches each kind of violation in a tree built to break them', async () => {
    const violations = await architectureViolations([FIXTURE], { base: FIXTURE });
    const found = violations.map((v) => `${v.rule}: ${v.from.slice(FIXTURE.length)} -> ${v.to.slice(FIXTURE.length)}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'engine-imports-only-itself: rollout/engine/decide.ts -> lab/hosts/docker-provider.ts',
        'lab-stands-alone: lab/clock.ts -> rollout/engine/decide.ts',
        'rollout-below-scenarios-web-bin: rollout/drive/driver.ts -> scenarios/scenario.ts',
        'scenarios-and-web-below-bin: scenarios/scenario.ts -> bin/main.ts',
        'web-never-touches-docker: web/page.ts -> lab/hosts/docker-provider.ts',
      ]),
    );
    expect(violations.some((v) => v.rule === 'no-import-loops' && v.from.endsWith('web/page.ts') === !v.to.endsWith('web/page.ts'))).toBe(true);
  }, 60_000);
});
