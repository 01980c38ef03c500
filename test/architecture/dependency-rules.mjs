// @ts-check
/**
 * Which folder may import which, as dependency-cruiser rules. `base` is the folder the tree sits
 * in ('' for the project itself), so the same rules can be checked against a small tree with
 * deliberate violations and shown to catch each one.
 */
export function architectureRules(base = '') {
  const at = (folder) => `^${base.replace(/[.]/g, '\\.')}${folder}`;
  return [
    {
      name: 'engine-imports-only-itself',
      comment: 'The decision engine is pure: it reads no clock, file, database or environment, and depends on nothing outside its folder.',
      severity: 'error',
      from: { path: at('rollout/engine/') },
      to: { pathNot: [at('rollout/engine/'), '^node_modules/typescript/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'engine-types-only-from-itself',
      comment: 'Not even a type from elsewhere: the engine defines the vocabulary the rest speaks.',
      severity: 'error',
      from: { path: at('rollout/engine/') },
      to: { pathNot: at('rollout/engine/') },
    },
    {
      name: 'web-never-touches-docker',
      comment: 'The web layer reads the store and gives commands; starting hosts is the lab\'s, wired in by bin/.',
      severity: 'error',
      from: { path: at('web/') },
      to: { path: [`^node_modules/(dockerode|testcontainers)/`, at('lab/hosts/'), at('rollout/fleets/containers/')].join('|') },
    },
    {
      name: 'lab-stands-alone',
      comment: 'The lab is the bottom layer: rollouts, the web page and the CLI use it, never the other way round.',
      severity: 'error',
      from: { path: at('lab/') },
      to: { path: `${at('rollout/')}|${at('web/')}|${at('bin/')}|${at('scenarios/')}` },
    },
    {
      name: 'rollout-below-scenarios-web-bin',
      comment: 'Scenario files are loaded above the rollout and handed to it as a parsed plan.',
      severity: 'error',
      from: { path: at('rollout/') },
      to: { path: `${at('scenarios/')}|${at('web/')}|${at('bin/')}` },
    },
    {
      name: 'scenarios-and-web-below-bin',
      comment: 'bin/ wires the parts together; nothing imports it.',
      severity: 'error',
      from: { path: `${at('scenarios/')}|${at('web/')}` },
      to: { path: at('bin/') },
    },
    {
      name: 'no-import-loops',
      comment: 'A loop makes one module see another half-evaluated, and the two can only be understood together.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ];
}

/** The dependency-cruiser configuration; DEPCRUISE_BASE checks a tree that sits in another folder. */
export default {
  forbidden: architectureRules(process.env.DEPCRUISE_BASE ?? ''),
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser to use; swc parses the .ts files.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
  },
};
