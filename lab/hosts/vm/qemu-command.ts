/**
 * The qemu command line of a VM host. Pure: every path and value is data, and qemu's own
 * option syntax (comma-separated key=value) is escaped here, since a path with a comma would
 * otherwise smuggle in an option of its own.
 */
export interface PortForward {
  /** Port on 127.0.0.1 of the lab machine. */
  hostPort: number;
  guestPort: number;
}

export interface SharedFolder {
  /** Folder on the lab machine. */
  source: string;
  /** What the guest mounts it by. */
  tag: string;
  readOnly: boolean;
}

export interface VmLaunch {
  name: string;
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  kernel: string;
  initrd: string;
  /** Kernel command line; the guest init reads its patchlab.* words. */
  append: string;
  disk: string;
  /** Appended to, so one file holds every boot of the host. */
  consoleLog: string;
  pidFile: string;
  forwards: readonly PortForward[];
  shares: readonly SharedFolder[];
}

/** qemu splits option values on commas; a literal comma is written twice. */
export function qemuValue(value: string): string {
  return value.replace(/,/g, ',,');
}

const TAG = /^[A-Za-z0-9_-]{1,31}$/;

export function qemuArgv(vm: VmLaunch): string[] {
  const netdev = ['user', 'id=net0', ...vm.forwards.map((f) => `hostfwd=tcp:127.0.0.1:${port(f.hostPort)}-:${port(f.guestPort)}`)].join(',');
  const argv = [
    '-name', qemuValue(vm.name),
    '-machine', `q35,accel=${vm.accel}`,
    // Under TCG a plain model is enough; under KVM the host's own CPU is the fast and faithful one.
    '-cpu', vm.accel === 'kvm' ? 'host' : 'max',
    '-m', String(vm.memoryMiB),
    '-smp', String(vm.cpus),
    // No default VGA, CD-ROM, floppy or NIC ROM: less to emulate while booting.
    '-nodefaults',
    '-display', 'none',
    '-monitor', 'none',
    // A reboot ends the qemu process; the provider starts it again with the kernel the guest now has.
    '-no-reboot',
    '-kernel', vm.kernel,
    '-initrd', vm.initrd,
    '-append', vm.append,
    // The overlay is thrown away with the host: flushes to it buy nothing.
    '-drive', `file=${qemuValue(vm.disk)},if=virtio,format=qcow2,cache=unsafe`,
    '-netdev', netdev,
    '-device', 'virtio-net-pci,netdev=net0,romfile=',
    '-chardev', `file,id=console,path=${qemuValue(vm.consoleLog)},append=on`,
    '-serial', 'chardev:console',
    '-pidfile', vm.pidFile,
  ];
  vm.shares.forEach((share) => {
    if (!TAG.test(share.tag)) throw new Error(`shared folder tag ${JSON.stringify(share.tag)}: expected 1-31 letters, digits, "_" or "-"`);
    argv.push('-virtfs', `local,path=${qemuValue(share.source)},mount_tag=${share.tag},security_model=none,id=${share.tag}${share.readOnly ? ',readonly=on' : ''}`);
  });
  return argv;
}

function port(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`port ${n}: expected an integer from 1 to 65535`);
  return n;
}
