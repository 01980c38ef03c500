/**
 * What turns a production container image into a bootable VM disk: Debian's kernel with an
 * initramfs that holds only the virtio drivers (a generic one takes half a minute longer to
 * boot under TCG), the lab's agent channel (sshd) and its init. Pure.
 */
export const VM_LAYER_VERSION = 1;

/** The guest's init, installed at this path and named on the kernel command line. */
export const GUEST_INIT = '/sbin/patchlab-init';

const INITRAMFS_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'ext4'];
const VM_PACKAGES = ['linux-image-amd64', 'openssh-server', 'iproute2', 'kmod'];

export function vmLayerDockerfile(fromTag: string, labels: Record<string, string>): string {
  const prepare = [
    'set -e',
    'mkdir -p /etc/initramfs-tools/conf.d',
    "echo MODULES=list > /etc/initramfs-tools/conf.d/patchlab-vm.conf",
    `printf '%s\\n' ${INITRAMFS_MODULES.join(' ')} >> /etc/initramfs-tools/modules`,
    'apt-get update',
    `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${VM_PACKAGES.join(' ')}`,
    'apt-get clean',
    'rm -rf /var/lib/apt/lists/*',
    // The provider boots whatever these links name, as a boot loader would.
    'test -e /vmlinuz && test -e /initrd.img',
  ].join('; ');
  return [
    `FROM ${fromTag}`,
    `RUN ${JSON.stringify(['/bin/sh', '-c', prepare])}`,
    `COPY ${JSON.stringify(['patchlab-init', GUEST_INIT])}`,
    `RUN ${JSON.stringify(['chmod', '755', GUEST_INIT])}`,
    `LABEL ${Object.entries(labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`,
    '',
  ].join('\n');
}
