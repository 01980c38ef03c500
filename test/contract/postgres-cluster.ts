import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/*
 * A throwaway PostgreSQL cluster for a test file: Debian's server binaries, a data folder in a
 * temporary folder, listening only on a Unix socket in that same folder (no TCP port to collide
 * with, nothing reachable from outside). The server refuses to run as root, so as root the
 * commands run as the `postgres` user. Every command is an argv, never a shell string.
 */

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';
const PREFIX = 'patchlab-pg-';

/** The bin folder of the highest PostgreSQL version installed; a clear failure, not a skip, without one. */
export function postgresBinaries(root: string = POSTGRES_ROOT): string {
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const highest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (highest === undefined) {
    throw new Error(`PostgreSQL's server is not installed (no ${root}/*/bin/initdb): run bin/setup, which installs Debian's postgresql`);
  }
  return join(root, highest, 'bin');
}

export interface TestDatabaseOnCluster {
  name: string;
  /** As PATCHLAB_DATABASE_URL takes it: the Unix socket form. */
  url: string;
  drop(): Promise<void>;
}

export interface PostgresCluster {
  /** The temporary folder: data, log and socket. */
  dir: string;
  /** A fresh database with a random name; drop() removes it, closing whatever is still connected. */
  createDatabase(): Promise<TestDatabaseOnCluster>;
  /** Stops the server and removes the folder. */
  stop(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** The argv that runs a server binary as the user who owns the cluster. */
function asOwner(bin: string, command: string, args: string[]): [string, string[]] {
  const path = join(bin, command);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

const idOf = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  reapDeadClusters(bin);
  // The owning process's id in the name, so a later run can tell a cluster left by a killed test process.
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  try {
    if (asRoot) chownSync(dir, idOf('-u'), idOf('-g'));
    // cwd: the postgres user may not be able to enter the test's working directory.
    const owner = (command: string, args: string[]) => {
      const [file, argv] = asOwner(bin, command, args);
      return run(file, argv, { cwd: dir });
    };
    await owner('initdb', ['-D', data, '--username=postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions']);
    // In the configuration file rather than as pg_ctl -o, which pg_ctl would hand to a shell.
    const quoted = `'${dir.replaceAll("'", "''")}'`;
    appendFileSync(
      join(data, 'postgresql.conf'),
      // A test's data need not survive a power cut: no fsync makes each transaction cheap.
      `\nlisten_addresses = ''\nunix_socket_directories = ${quoted}\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n`,
    );
    await owner('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
  } catch (error) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    removeCluster(bin, dir);
    throw new Error(`could not start a PostgreSQL cluster in ${dir}: ${(error as Error).message}${tail && `\nserver log:\n${tail}`}`, { cause: error });
  }

  const admin = new pg.Pool({ host: dir, user: 'postgres', database: 'postgres', max: 2 });
  admin.on('error', () => undefined);
  return {
    dir,
    async createDatabase() {
      // A generated name, safe to write into the statement (identifiers cannot be parameters).
      // FILE_COPY copies the template's files instead of logging each page: quicker with fsync off.
      const name = `patchlab_test_${randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE DATABASE "${name}" STRATEGY = FILE_COPY`);
      return {
        name,
        url: `postgresql:///${name}?host=${dir}&user=postgres`,
        drop: async () => {
          await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        },
      };
    },
    async stop() {
      await admin.end().catch(() => undefined);
      removeCluster(bin, dir);
    },
  };
}

/** Stops the server (immediately: its data is thrown away) and removes the folder, whatever state it is in. */
function removeCluster(bin: string, dir: string): void {
  const data = join(dir, 'data');
  if (existsSync(join(data, 'postmaster.pid'))) {
    const [file, argv] = asOwner(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    try {
      execFileSync(file, argv, { cwd: dir, stdio: 'ignore' });
    } catch {
      killPostmaster(data);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** When pg_ctl cannot stop it: the postmaster's pid is the first line of its pid file; its backends exit with it. */
function killPostmaster(data: string): void {
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Clusters whose test process died before its afterAll (kill -9, a crashed worker): stopped and removed. */
function reapDeadClusters(bin: string): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
    if (owner === undefined || isAlive(Number(owner))) continue;
    removeCluster(bin, join(tmpdir(), name));
  }
}
