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
