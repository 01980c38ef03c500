import type Docker from 'dockerode';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import tar from 'tar-stream';
import { dataDir } from '../../config/paths.ts';
import { DEFINITION_HASH_LABEL, followBuild, IMAGE_LABEL, imageExists, removeOlderBuilds } from '../../images/build.ts';
import { sha256, shortHash } from '../../images/hash.ts';
import { withLock } from '../../images/lock.ts';
import { silent, type Progress } from '../../progress.ts';
import { dockerClient } from '../docker-client.ts';
import { hostLabels } from '../labels.ts';
import { runTool } from './run-tool.ts';
import { vmLayerDockerfile, VM_LAYER_VERSION } from './vm-layer.ts';

const INIT_SOURCE = join(import.meta.dirname, 'guest', 'patchlab-init');
/** Room for a second kernel and its modules next to the first while a kernel patch installs. */
const DISK_SIZE = '4G';

export interface VmImage {
  /** The container image of the same rootfs: the lab's fetcher discovers the VM's pending updates on it. */
  dockerTag: string;
  /** Raw ext4 disk, the read-only base of every VM host's copy-on-write overlay. */
  disk: string;
  kernel: string;
  initrd: string;
  hash: string;
}

export function vmImageDir(name: string, hash: string): string {
  return join(dataDir(), 'vm-images', `${name}-${hash}`);
}

/**
 * The VM form of a built image, made once per definition: a container image with the VM layer,
 * exported to an ext4 disk with its kernel and initramfs beside it.
 */
export async function ensureVmImage(
  name: string,
  fromTag: string,
  options: { docker?: Docker; progress?: Progress } = {},
): Promise<VmImage> {
  const docker = options.docker ?? dockerClient();
  const progress = options.progress ?? silent;
  const init = readFileSync(INIT_SOURCE);
  const hash = shortHash({ layer: VM_LAYER_VERSION, from: fromTag, init: sha256(init), dockerfile: vmLayerDockerfile(fromTag, {}) });
  const dockerTag = `patchlab/${name}-vm:${hash}`;
  const dir = vmImageDir(name, hash);
  const image: VmImage = { dockerTag, disk: join(dir, 'rootfs.raw'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), hash };
  return withLock(join(dataDir(), 'locks'), `vm-image-${name}`, async () => {
    if (!(await imageExists(docker, dockerTag))) {
      progress(`vm image ${name}: building ${dockerTag} (kernel, initramfs, sshd; about 1-3 min)`);
      const context = tar.pack();
      context.entry({ name: 'Dockerfile' }, vmLayerDockerfile(fromTag, { [IMAGE_LABEL]: `${name}-vm`, [DEFINITION_HASH_LABEL]: hash }));
      context.entry({ name: 'patchlab-init', mode: 0o755 }, init);
      context.finalize();
      await followBuild(docker, await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: dockerTag, rm: true, forcerm: true }), progress);
      // Only a new build can make an older one stale; a run that finds its image asks Docker nothing more.
      await removeOlderBuilds(docker, `patchlab/${name}-vm`, dockerTag);
    }
    if (!existsSync(join(dir, 'ready'))) {
      progress(`vm image ${name}: writing its disk to ${dir}`);
      await exportDisk(docker, dockerTag, hash, dir);
      removeOtherDisks(name, dir);
    }
    return image;
  });
}

async function exportDisk(docker: Docker, tag: string, hash: string, dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  const tree = join(dir, 'tree');
  mkdirSync(tree, { recursive: true });
  const container = await docker.createContainer({ Image: tag, Cmd: ['true'], Labels: hostLabels(`vm-export-${hash}`, 'vm-export') });
  try {
    const archive = await container.export();
    await runTool('tar', ['-C', tree, '--numeric-owner', '-xpf', '-'], archive);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
  rmSync(join(tree, '.dockerenv'), { force: true });
  // The links a boot loader would follow; realpath inside the tree, not on this machine.
  copyFileSync(inside(tree, 'vmlinuz'), join(dir, 'vmlinuz'));
  copyFileSync(inside(tree, 'initrd.img'), join(dir, 'initrd.img'));
  await runTool('mkfs.ext4', ['-q', '-F', '-L', 'patchlab', '-d', tree, join(dir, 'rootfs.raw'), DISK_SIZE]);
  rmSync(tree, { recursive: true, force: true });
  writeFileSync(join(dir, 'ready'), `${new Date().toISOString()}\n`);
}

/** Follows a symlink in an unpacked rootfs as the guest would see it. */
function inside(tree: string, link: string): string {
  let path = join(tree, link);
  for (let hops = 0; hops < 8; hops++) {
    const target = readlinkOrUndefined(path);
    if (target === undefined) return path;
    path = target.startsWith('/') ? join(tree, target) : resolve(join(path, '..'), target);
  }
  return realpathSync(path);
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function removeOtherDisks(name: string, keep: string): void {
  const root = join(dataDir(), 'vm-images');
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (entry.startsWith(`${name}-`) && path !== keep && /^[a-f0-9]{12}$/.test(entry.slice(name.length + 1))) rmSync(path, { recursive: true, force: true });
  }
}
