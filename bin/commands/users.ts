import { InvalidArgumentError, type Command } from 'commander';
import { isRole, ROLES, type Role } from '../../web/auth/roles.ts';
import { defaultUserStorePath, USER_NAME, USER_NAME_RULE, UserStore } from '../../web/auth/user-store.ts';

function parseRole(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return value;
}

/** All of stdin, less the one newline `echo` or a heredoc adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new Error('interrupted'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (char >= ' ') typed += char;
      }
    };
    process.stderr.write(question);
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

async function passwordFrom(flags: { passwordStdin?: boolean }): Promise<string> {
  if (flags.passwordStdin) return readStdin();
  if (!process.stdin.isTTY) throw new Error('no terminal to ask the password on; pipe it in with --password-stdin');
  const first = await promptHidden('password: ');
  const again = await promptHidden('password again: ');
  if (first !== again) throw new Error('the two passwords differ; nothing was changed');
  return first;
}

async function withUsers<T>(work: (users: UserStore) => Promise<T> | T): Promise<T> {
  const users = UserStore.open();
  try {
    return await work(users);
  } finally {
    users.close();
  }
}

export function usersCommand(program: Command): void {
  const users = program.command('users').description(`who may use the web page, and as what (${ROLES.join(', ')}); kept in ${defaultUserStorePath()}`);
  users
    .command('add')
    .description('add a user; the password is asked for on the terminal, or read from stdin with --password-stdin')
    .argument('<name>', 'user name: lower-case letters, digits, ".", "_" or "-"')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, parseRole)
    .option('--password-stdin', 'read the password from stdin instead of the terminal')
    .action(async (name: string, flags: { role: Role; passwordStdin?: boolean }) => {
      // Before the password is asked for, so nobody types it twice for nothing.
      if (!USER_NAME.test(name)) throw new Error(`${JSON.stringify(name)}: ${USER_NAME_RULE}`);
      const password = await passwordFrom(flags);
      const user = await withUsers((u) => u.addUser(name, flags.role, password));
      console.log(`added ${user.name} as ${user.role}`);
    });
  users
    .command('list')
    .description('list users and their roles')
    .action(() =>
      withUsers((u) => {
        const all = u.listUsers();
        if (all.length === 0) console.log('no users; add the first admin with: patchlab users add <name> --role admin');
        for (const user of all) console.log(`${user.name.padEnd(33)} ${user.role.padEnd(16)} since ${new Date(user.createdAt).toISOString()}`);
      }),
    );
  users
    .command('set-role')
    .description("change a user's role; it applies to their next request")
    .argument('<name>', 'user name')
    .argument('<role>', `one of ${ROLES.join(', ')}`, parseRole)
    .action((name: string, role: Role) =>
      withUsers((u) => {
        const user = u.setRole(name, role);
        console.log(`${user.name} is now ${user.role}`);
      }),
    );
  users
    .command('passwd')
    .description("set a user's password; their sessions end")
    .argument('<name>', 'user name')
    .option('--password-stdin', 'read the password from stdin instead of the terminal')
    .action(async (name: string, flags: { passwordStdin?: boolean }) => {
      const password = await passwordFrom(flags);
      await withUsers((u) => u.setPassword(name, password));
      console.log(`password of ${name} changed; their sessions have ended`);
    });
  users
    .command('remove')
    .description('remove a user and end their sessions')
    .argument('<name>', 'user name')
    .action((name: string) =>
      withUsers((u) => {
        u.removeUser(name);
        console.log(`removed ${name}`);
      }),
    );
  users
    .command('token')
    .description("make an API token for a user (it acts with the user's role); shown once, only its hash is kept")
    .argument('<name>', 'user name')
    .option('--label <text>', 'what the token is for, e.g. "CI pipeline"', 'api')
    .action((name: string, flags: { label: string }) =>
      withUsers((u) => {
        if (!u.getUser(name)) throw new Error(`no user ${name}`);
        const { token, secret } = u.tokens.create(name, flags.label);
        console.log(`token ${token.id} for ${name} (${token.label}); it is shown this once:\n${secret}`);
      }),
    );
  users
    .command('tokens')
    .description('list API tokens (never their secrets)')
    .argument('[name]', 'only this user\'s')
    .action((name: string | undefined) =>
      withUsers((u) => {
        for (const t of u.tokens.list(name)) {
          const used = t.lastUsedAt === null ? 'never used' : `last used ${new Date(t.lastUsedAt).toISOString()}`;
          console.log(`${t.id}  ${t.user.padEnd(16)} ${t.label.padEnd(20)} made ${new Date(t.createdAt).toISOString()}, ${used}`);
        }
      }),
    );
  users
    .command('revoke-token')
    .description('revoke an API token at once')
    .argument('<id>', 'token id, as `users tokens` lists it')
    .action((id: string) =>
      withUsers((u) => {
        if (!u.tokens.revoke(id)) throw new Error(`no API token ${id}`);
        console.log(`revoked token ${id}`);
      }),
    );
}
