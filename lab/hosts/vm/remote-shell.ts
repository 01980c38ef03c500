import type { ExecOptions } from '../host.ts';

/**
 * ssh hands the guest one string that the guest's shell parses again, so every word of an argv
 * is quoted here: single quotes, with each embedded single quote closed, escaped and reopened.
 * Pure.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error(`a command word cannot hold a NUL byte: ${JSON.stringify(word)}`);
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The one command line the guest runs for an argv, with the exec options a container exec takes
 * as API fields: a working directory, environment, another user, and a time limit enforced in the
 * guest (GNU timeout), so a hung command is killed there and not only abandoned. Pure.
 *
 * `viaSudo`: the login is not root, so the command becomes root (or options.user) through
 * `sudo -n`, which fails at once instead of asking for a password. sudo comes first: it resets
 * the environment, so env must be set after it.
 */
export function remoteCommand(argv: readonly string[], options: ExecOptions = {}, timeoutSeconds?: number, viaSudo = false): string {
  if (argv.length === 0) throw new Error('empty command');
  const words: string[] = [];
  if (viaSudo) words.push('sudo', '-n', ...(options.user ? ['-u', options.user] : []), '--');
  else if (options.user) words.push('runuser', '-u', options.user, '--');
  const env = Object.entries(options.env ?? {});
  for (const [name] of env) if (!ENV_NAME.test(name)) throw new Error(`environment variable name ${JSON.stringify(name)} is not a shell name`);
  if (env.length > 0) words.push('env', ...env.map(([k, v]) => `${k}=${v}`));
  if (timeoutSeconds !== undefined) words.push('timeout', '--kill-after=2', `${Math.max(1, Math.ceil(timeoutSeconds))}s`);
  words.push(...argv);
  const line = words.map(shellQuote).join(' ');
  return options.workdir ? `cd ${shellQuote(options.workdir)} && exec ${line}` : `exec ${line}`;
}
