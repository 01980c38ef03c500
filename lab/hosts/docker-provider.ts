import type Docker from 'dockerode';
import { Writable } from 'node:stream';
import { dockerClient } from './docker-client.ts';
import type { Endpoint, ExecOptions, ExecResult, FileToCopy, Host, HostProvider, HostSpec } from './host.ts';
import { IDLE_COMMAND } from './idle-command.ts';
import { hostLabels } from './labels.ts';
import { firstFileOf, packFiles } from './tar.ts';

const MAX_CAPTURE = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;

class CappedSink extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    if (this.size < MAX_CAPTURE) {
      this.chunks.push(chunk.subarray(0, MAX_CAPTURE - this.size));
      this.size += chunk.length;
    }
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export class DockerHost implements Host {
  readonly kind = 'container';
  /**
   * GNU timeout inside the host kills a hung command for real; without it the lab only stops
   * waiting. Asked once; execs started while it is asked wait for the answer, or the first probes
   * of a check, which start together, would run with no limit inside the host.
   */
  private hasTimeout: Promise<boolean> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    readonly id: string,
    readonly name: string,
    readonly address: string,
    private readonly labels: Record<string, string>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Containers are reached on their bridge address, every port as it is. */
  endpoint(port: number): Endpoint {
    return { address: this.address, port };
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error(`on host ${this.name}: empty command`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.hasTimeout ??= this.run(['timeout', '--version'], {}, 10_000).then((probe) => probe.exitCode === 0, () => false);
    const hasTimeout = await this.hasTimeout;
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const cmd = hasTimeout ? ['timeout', '--kill-after=2', `${seconds}s`, ...argv] : [...argv];
    // The outer timer is the backstop for hosts without GNU timeout and for a wedged engine.
    const result = await this.run(cmd, options, timeoutMs + 5_000);
    if (hasTimeout && (result.exitCode === 124 || result.exitCode === 137) && result.durationMs >= timeoutMs - 50) {
      return { ...result, timedOut: true };
    }
    return result;
  }

  private async run(cmd: string[], options: ExecOptions, limitMs: number): Promise<ExecResult> {
    const started = this.now();
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const exec = await this.container.exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      Env: env,
      ...(options.user ? { User: options.user } : {}),
      ...(options.workdir ? { WorkingDir: options.workdir } : {}),
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const stdout = new CappedSink();
    const stderr = new CappedSink();
    this.docker.modem.demuxStream(stream, stdout, stderr);
    const finished = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        resolve(false);
      }, limitMs);
      stream.on('end', () => {
        clearTimeout(timer);
        resolve(true);
      });
      stream.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
      stream.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const durationMs = this.now() - started;
    if (!finished) {
      return { exitCode: 124, stdout: stdout.text(), stderr: stderr.text(), durationMs, timedOut: true };
    }
    const info = await exec.inspect();
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: stdout.text(),
      stderr: stderr.text(),
      durationMs,
      timedOut: false,
    };
  }

  async copyIn(files: readonly FileToCopy[]): Promise<void> {
    await this.container.putArchive(packFiles(files), { path: '/' });
  }

  async copyOut(path: string): Promise<Buffer> {
    try {
      const archive = await this.container.getArchive({ path });
      return await firstFileOf(archive);
    } catch (error) {
      throw new Error(`on host ${this.name}: cannot copy out ${path}: ${(error as Error).message}`);
    }
  }

  async snapshot(tag: string): Promise<string> {
    const [repo, version = 'latest'] = tag.split(':');
    const result = (await this.container.commit({ repo, tag: version, changes: [] , config: { Labels: this.labels } })) as {
      Id?: string;
    };
    return result.Id ?? tag;
  }

  async stop(): Promise<void> {
    try {
      await this.container.remove({ force: true, v: true });
    } catch (error) {
      // 404: gone; 409: a reaper (an interrupted process's clean-up) is removing it right now.
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw error;
    }
  }
}

export class DockerHostProvider implements HostProvider {
  constructor(
    private readonly docker: Docker = dockerClient(),
    private readonly now: () => number = Date.now,
  ) {}

  async start(spec: HostSpec): Promise<Host> {
    const labels = hostLabels(spec.runId, spec.role, spec.labels);
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({
        Image: spec.image,
        ...(spec.name ? { name: spec.name } : {}),
        Cmd: spec.command ?? [...IDLE_COMMAND],
        Entrypoint: [],
        Labels: labels,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        HostConfig: {
          Binds: (spec.mounts ?? []).map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
          Mounts: (spec.tmpfs ?? []).map((t) => ({ Type: 'tmpfs' as const, Source: '', Target: t.target, TmpfsOptions: { SizeBytes: t.sizeBytes, Mode: 0o755 } })),
          Init: false,
        },
      });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) throw new Error(`image ${spec.image} does not exist on this Docker engine (no registry is reachable to pull it)`);
      throw error;
    }
    try {
      await container.start();
      return await this.attach(container.id);
    } catch (error) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw error;
    }
  }

  /** A Host for a container that already runs, such as a rollout's fleet after a restart. */
  async attach(containerId: string): Promise<DockerHost> {
    const container = this.docker.getContainer(containerId);
    const info = await container.inspect();
    const networks = Object.values(info.NetworkSettings.Networks ?? {});
    const address = networks.find((n) => n.IPAddress)?.IPAddress ?? '127.0.0.1';
    const name = info.Name.replace(/^\//, '');
    return new DockerHost(this.docker, container, info.Id, name, address, info.Config.Labels ?? {}, this.now);
  }
}
