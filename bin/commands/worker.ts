import { InvalidArgumentError, type Command } from 'commander';
import { dockerClientFor } from '../../lab/hosts/docker-client.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { DATABASE_URL_VARIABLE } from '../../rollout/store/open-store.ts';
import { CAPABILITIES, runWorker, type Capability } from '../../rollout/worker/run-worker.ts';

interface WorkerFlags {
  dockerHost?: string;
  capabilities: Capability[];
  concurrency: number;
  cache?: string;
}

function capabilityList(value: string): Capability[] {
  const given = value.split(',').map((c) => c.trim()).filter(Boolean);
  const unknown = given.filter((c) => !(CAPABILITIES as readonly string[]).includes(c));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown capability ${unknown.join(', ')}; expected a comma-separated list of: ${CAPABILITIES.join(', ')}`);
  return given as Capability[];
}

function jobsAtOnce(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description(`take lab and rollout jobs from the queue in the PostgreSQL database that ${DATABASE_URL_VARIABLE} names, until stopped`)
    .option('--docker-host <url>', 'the Docker engine this worker starts new hosts on (unix:///path, tcp://HOST:PORT, ssh://USER@HOST); default: DOCKER_HOST or the local socket')
    .option('--capabilities <list>', `what this machine offers beyond Docker, comma-separated (${CAPABILITIES.join(', ')})`, capabilityList, [])
    .option('--concurrency <n>', 'jobs at once', jobsAtOnce, 2)
    .option('--cache <dir>', "this worker's own package cache, filled from the mirror with each rollout's pinned files (default: PATCHLAB_CACHE, else $PATCHLAB_HOME/cache)")
    .action(async (flags: WorkerFlags) => {
      const url = process.env[DATABASE_URL_VARIABLE];
      if (!url) throw new Error(`patchlab worker: ${DATABASE_URL_VARIABLE} is not set; a worker takes its jobs from a PostgreSQL database (postgresql://USER@HOST/DATABASE)`);
      if (flags.dockerHost) {
        // Checked here, so a typo ends the command at once rather than at the first job.
        dockerClientFor(flags.dockerHost);
        process.env.DOCKER_HOST = flags.dockerHost;
      }
      const stop = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort(new Error(signal)));
      await runWorker({ databaseUrl: url, capabilities: flags.capabilities, concurrency: flags.concurrency, progress: stderrProgress('worker'), signal: stop.signal, ...(flags.cache ? { cacheDir: flags.cache } : {}) });
    });
}
