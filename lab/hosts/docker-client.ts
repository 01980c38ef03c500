import Docker from 'dockerode';

let shared: Docker | undefined;

/** One client per process; DOCKER_HOST is honoured by docker-modem itself. */
export function dockerClient(): Docker {
  shared ??= new Docker();
  return shared;
}

export async function assertDockerReachable(docker = dockerClient()): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `the Docker engine does not answer (${(error as Error).message}); run bin/setup, which installs and starts it`,
    );
  }
}

/**
 * A client for the engine a URL names, as DOCKER_HOST writes it: unix:///path/docker.sock,
 * tcp://host:2375, or ssh://user@host. Anything else is refused with the forms it takes.
 */
export function dockerClientFor(url: string): Docker {
  if (url.startsWith('unix://')) return new Docker({ socketPath: url.slice('unix://'.length) });
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Refused below.
  }
  if (parsed?.protocol === 'tcp:' && parsed.hostname) return new Docker({ host: parsed.hostname, port: Number(parsed.port || 2375), protocol: 'http' });
  if (parsed?.protocol === 'ssh:' && parsed.hostname) {
    return new Docker({ protocol: 'ssh', host: parsed.hostname, port: Number(parsed.port || 22), ...(parsed.username ? { username: parsed.username } : {}) });
  }
  throw new Error(`docker host ${JSON.stringify(url)}: expected unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://USER@HOST`);
}
