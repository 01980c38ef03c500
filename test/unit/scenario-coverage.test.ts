import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';

it('every shipped scenario has its real-container test', () => {
  const shipped = readdirSync(join(projectRoot, 'scenarios')).filter((f) => f.endsWith('.yaml'));
  const untested = shipped.filter((f) => !existsSync(join(projectRoot, 'test/integration/scenarios', f.replace(/\.yaml$/, '.test.ts'))));
  expect(untested).toEqual([]);
});
