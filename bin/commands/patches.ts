import type { Command } from 'commander';
import { advisoryCell, advisoryOf } from '../../lab/advisories/format.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { discoverPending } from '../../lab/patches/discover.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { dockerStartup, mirrorFrom, type MirrorFlags } from './common.ts';
import { projectOption, useProject, type ProjectFlags } from './project-option.ts';

export function patchesCommand(program: Command): void {
  const patches = program.command('patches').description('candidate patches: what an image can upgrade');
  projectOption(patches
    .command('list'))
    .description('list pending updates of an image from its suite\'s security and updates archives')
    .requiredOption('--image <name>', 'image definition name or image reference')
    .option('--json', 'print JSON')
    .option('--security-only', 'only updates from the security archive')
    .option('--no-advisories', 'skip reading CVE ids and urgency from the candidates\' changelogs (which downloads the candidates into the package cache)')
    .option('--mirror <url>', 'Debian archive (default: from this machine\'s apt sources)')
    .option('--security-mirror <url>', 'Debian security archive (default: from this machine\'s apt sources)')
    .action(async (flags: { image: string; json?: boolean; securityOnly?: boolean; advisories: boolean } & MirrorFlags & ProjectFlags) => {
      useProject(flags);
      const progress = stderrProgress('patches');
      await dockerStartup(progress);
      const image = await resolveImage(flags.image, { progress });
      const { candidates, advisories } = await discoverPending(new PackageCache(), image, {
        mirror: mirrorFrom(flags, image.definition?.suite),
        advisories: flags.advisories,
        ...(flags.securityOnly ? { keep: (c) => c.security } : {}),
        progress,
      });
      if (flags.json) {
        // Each candidate with its source package's whole advisory (entries, ids, tracker links, severity and its basis).
        const advised = candidates.map((c) => ({ ...c, ...(flags.advisories ? { advisory: advisoryOf(advisories, c.name) ?? null } : {}) }));
        console.log(JSON.stringify(advised, null, 2));
        return;
      }
      console.log(`${'package'.padEnd(24)} ${'installed'.padEnd(22)} ${'candidate'.padEnd(22)} ${'suite'.padEnd(20)} ${'security'.padEnd(8)} advisory`);
      for (const c of candidates) {
        const cell = flags.advisories ? advisoryCell(advisoryOf(advisories, c.name)) : '-';
        console.log(`${c.name.padEnd(24)} ${c.installed.padEnd(22)} ${c.candidate.padEnd(22)} ${c.suite.padEnd(20)} ${(c.security ? 'yes' : 'no').padEnd(8)} ${cell}`);
      }
      console.log(`${candidates.length} pending update(s) on ${flags.image}`);
    });
}
