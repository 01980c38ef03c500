import type { Command } from 'commander';
import { advisoriesFromCache } from '../../lab/advisories/cache-advisories.ts';
import { advisoryCell, advisoryOf } from '../../lab/advisories/format.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { dockerStartup, mirrorFrom, newRunId, type MirrorFlags } from './common.ts';
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
      const cache = new PackageCache();
      const fetcher = await cache.openFetcher({
        provider: new DockerHostProvider(),
        image: image.tag,
        runId: newRunId('patches'),
        mirror: mirrorFrom(flags, image.definition?.suite),
        // Asking what is pending means asking the mirror now.
        refreshLists: 'always',
        progress,
      });
      try {
        const candidates = (await fetcher.discover()).filter((c) => !flags.securityOnly || c.security);
        if (flags.advisories) progress(`advisories: reading the changelogs of ${candidates.length} candidate(s) from the package cache`);
        const advisories = flags.advisories ? await advisoriesFromCache(cache, candidates.map((c) => ({ name: c.name, installed: c.installed, candidate: c.candidate })), fetcher) : [];
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
      } finally {
        await fetcher.close();
      }
    });
}
