import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { projectRoot } from '../../lab/config/paths.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { labRun } from './lab.ts';
import { parsePort, serve } from './serve.ts';

const DEMO_SCENARIO = join(projectRoot, 'scenarios', 'demo.yaml');

/**
 * The first look at patchlab: a user who has created no account yet gets one, with a password
 * made for them, so the web page can be opened at once; an existing set of users is left alone.
 */
async function demoLogin(): Promise<string> {
  const users = UserStore.open();
  try {
    if (users.listUsers().length > 0) return 'log in with your patchlab user';
    const password = randomBytes(12).toString('base64url');
    await users.addUser('admin', 'admin', password);
    return `log in as admin with password ${password} (made for this demo; change it on the users page)`;
  } finally {
    users.close();
  }
}

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('the main job on the built-in demo: a lab run of the pending security updates on the web image, then, if it passes, their staged rollout to 16 web hosts (scenarios/demo.yaml), watched and steered in the web page')
    .option('--port <port>', 'port of the web page', parsePort, 8080)
    .option('--host <address>', 'address of the web page', '127.0.0.1')
    .action(async (flags: { port: number; host: string }) => {
      const verdict = await labRun({ image: 'web', patch: ['security'] });
      if (verdict !== 0) {
        console.log('the lab did not pass the patch, so it is not rolled out');
        process.exitCode = verdict;
        return;
      }
      console.log(await demoLogin());
      await serve({ port: flags.port, host: flags.host, scenario: DEMO_SCENARIO, live: true });
      console.log('serving until Ctrl-C; the rollout goes on in the page');
    });
}
