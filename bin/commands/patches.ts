import type { Command } from 'commander';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { dockerStartup, mirrorFrom, newRunId, type MirrorFlags } from './common.ts';

export function patchesCommand(program: Command): void {
  const patches = program.command('patches').description('candidate patches: what an image can upgrade');
  patches
    .command('list')
    .description('list pending updates of an image from its suite\'s security and updates archives')
    .requiredOption('--image <name>', 'image definition name or image reference')
    .option('--json', 'print JSON')
    .option('--security-only', 'only updates from the security archive')
    .option('--mirror <url>', 'Debian archive (default: from this machine\'s apt sources)')
    .option('--security-mirror <url>', 'Debian security archive (default: from this machine\'s apt sources)')
    .action(async (flags: { image: string; json?: boolean; securityOnly?: boolean } & MirrorFlags) => {
      const progress = stderrProgress('patches');
      await dockerStartup(progress);
      const image = await resolveImage(flags.image, { progress });
      const fetcher = await new PackageCache().openFetcher({
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
        if (flags.json) {
          console.log(JSON.stringify(candidates, null, 2));
          return;
        }
        console.log(`${'package'.padEnd(24)} ${'installed'.padEnd(22)} ${'candidate'.padEnd(22)} ${'suite'.padEnd(20)} security`);
        for (const c of candidates) {
          console.log(`${c.name.padEnd(24)} ${c.installed.padEnd(22)} ${c.candidate.padEnd(22)} ${c.suite.padEnd(20)} ${c.security ? 'yes' : 'no'}`);
        }
        console.log(`${candidates.length} pending update(s) on ${flags.image}`);
      } finally {
        await fetcher.close();
      }
    });
}
