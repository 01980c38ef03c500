import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir } from '../../config/paths.ts';
import type { HostProvider, HostSpec } from '../host.ts';
import { hostLabels } from '../labels.ts';
import { vmAccel, type Accel } from './accel.ts';
import { QemuHost, type SharedMount } from './qemu-host.ts';
import { runTool } from './run-tool.ts';
import { SshChannel } from '../ssh/ssh-channel.ts';
import { vmConnection } from './vm-connection.ts';
import type { VmImage } from './vm-image.ts';
import { GUEST_INIT } from './vm-layer.ts';

export const VM_HOSTS_DIR = 'vm-hosts';
/** What the reaper reads to judge a VM host's folder, as it reads a container's labels. */
export const VM_META_FILE = 'labels.json';
/** qemu's pid file in the folder: how a reaper finds a qemu whose watchdog was killed. */
export const VM_PID_FILE = 'qemu.pid';

export interface QemuProviderOptions {
  memoryMiB?: number;
  cpus?: number;
  /** Boot and reboot limit. Under TCG a boot takes 20-60 s on a busy machine. */
  bootTimeoutMs?: number;
  accel?: Accel;
}

/**
 * Starts VM hosts from one image's VM form. The HostSpec names the image by its container tag
 * (the lab's fetcher runs as a container of the same rootfs), so a run can hand both providers
 * the same spec.
 */
export class QemuHostProvider implements HostProvider {
  constructor(
    private readonly image: VmImage,
    private readonly options: QemuProviderOptions = {},
  ) {}

  async start(spec: HostSpec): Promise<QemuHost> {
    if (spec.image !== this.image.dockerTag) {
      throw new Error(`this VM provider starts ${this.image.dockerTag}, not ${spec.image}`);
    }
    if (spec.command) throw new Error('a VM host runs its own init; HostSpec.command is for containers');
    if (spec.tmpfs?.length) throw new Error('HostSpec.tmpfs (the disk-full fault) is for containers; a VM host has no such mount yet');
    const accel = this.options.accel ?? (await vmAccel(this.image.kernel));
    const suffix = randomBytes(3).toString('hex');
    const name = spec.name ?? `${spec.runId}-${spec.role}-${suffix}`;
    const dir = join(dataDir(), VM_HOSTS_DIR, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, VM_META_FILE), `${JSON.stringify(hostLabels(spec.runId, spec.role, spec.labels), null, 2)}\n`);
    try {
      await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', this.image.disk, join(dir, 'disk.qcow2')]);
      await runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `patchlab-${name}`, '-f', join(dir, 'key')]);
      const guestPorts = [22, ...new Set(spec.ports ?? [])];
      const hostPorts = await freePorts(guestPorts.length);
      const forwards = new Map(guestPorts.map((p, i) => [p, hostPorts[i] as number]));
      const shares = (spec.mounts ?? []).map((m, i) => ({ source: m.source, tag: `share${i}`, readOnly: m.readOnly ?? false }));
      const mounts: SharedMount[] = (spec.mounts ?? []).map((m, i) => ({ tag: `share${i}`, target: m.target, readOnly: m.readOnly ?? false }));
      const key = readFileSync(join(dir, 'key.pub')).toString('base64');
      const env = Object.entries(spec.env ?? {});
      if (env.length > 0) throw new Error('HostSpec.env is not passed to VM hosts; give it per exec');
      const channel = new SshChannel(vmConnection({
        port: forwards.get(22) as number,
        keyFile: join(dir, 'key'),
        // A socket path must fit in 108 bytes, which a deep PATCHLAB_HOME would not.
        controlPath: join(tmpdir(), `patchlab-ssh-${suffix}-${process.pid}`),
      }));
      const host = new QemuHost(
        name,
        name,
        dir,
        {
          name: `patchlab-${name}`,
          accel,
          memoryMiB: this.options.memoryMiB ?? 768,
          cpus: this.options.cpus ?? 1,
          kernel: this.image.kernel,
          initrd: this.image.initrd,
          append: `root=/dev/vda rw console=ttyS0 init=${GUEST_INIT} panic=-1 quiet patchlab.key=${key}`,
          disk: join(dir, 'disk.qcow2'),
          consoleLog: join(dir, 'console.log'),
          pidFile: join(dir, VM_PID_FILE),
          forwards: guestPorts.map((guestPort) => ({ guestPort, hostPort: forwards.get(guestPort) as number })),
          shares,
        },
        channel,
        forwards,
        mounts,
        this.options.bootTimeoutMs ?? (accel === 'kvm' ? 60_000 : 300_000),
      );
      try {
        await host.boot();
      } catch (error) {
        await host.stop();
        throw error;
      }
      return host;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

/** Ports the kernel hands out now; qemu binds them a moment later, which a busy machine rarely races. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<import('node:net').Server>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
