import { describe, expect, it } from 'vitest';
import { qemuArgv, type VmLaunch } from '../../lab/hosts/vm/qemu-command.ts';

const launch: VmLaunch = {
  name: 'lab-1-patched',
  accel: 'tcg',
  memoryMiB: 768,
  cpus: 1,
  kernel: '/data/vmlinuz',
  initrd: '/data/initrd.img',
  append: 'root=/dev/vda console=ttyS0',
  disk: '/data/disk.qcow2',
  consoleLog: '/data/console.log',
  pidFile: '/data/qemu.pid',
  forwards: [{ hostPort: 40022, guestPort: 22 }, { hostPort: 40080, guestPort: 80 }],
  shares: [{ source: '/cache', tag: 'share0', readOnly: true }],
};

function option(argv: string[], name: string): string[] {
  return argv.flatMap((a, i) => (a === name ? [argv[i + 1] as string] : []));
}

describe('the qemu command line of a VM host', () => {
  it('forwards each service port to loopback only, never to every interface', () => {
    expect(option(qemuArgv(launch), '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:40080-:80']);
  });

  it('doubles commas in paths, so a folder named with one cannot add a qemu option of its own', () => {
    const argv = qemuArgv({ ...launch, disk: '/data/a,format=raw/disk.qcow2', consoleLog: '/d,x/console.log', shares: [{ source: '/c,readonly=off', tag: 's', readOnly: true }] });
    expect(option(argv, '-drive')[0]).toBe('file=/data/a,,format=raw/disk.qcow2,if=virtio,format=qcow2,cache=unsafe');
    expect(option(argv, '-chardev')[0]).toBe('file,id=console,path=/d,,x/console.log,append=on');
    expect(option(argv, '-virtfs')[0]).toBe('local,path=/c,,readonly=off,mount_tag=s,security_model=none,id=s,readonly=on');
  });

  it('shares the package cache read-only when the mount says so', () => {
    expect(option(qemuArgv(launch), '-virtfs')[0]).toMatch(/,readonly=on$/);
    expect(option(qemuArgv({ ...launch, shares: [{ source: '/cache', tag: 'rw', readOnly: false }] }), '-virtfs')[0]).not.toMatch(/readonly/);
  });

  it('refuses a port or a share tag qemu would misread', () => {
    expect(() => qemuArgv({ ...launch, forwards: [{ hostPort: 70000, guestPort: 22 }] })).toThrow('port 70000: expected an integer from 1 to 65535');
    expect(() => qemuArgv({ ...launch, shares: [{ source: '/c', tag: 'a,b', readOnly: true }] })).toThrow(/shared folder tag "a,b"/);
  });

  it('uses the host CPU under KVM and an emulated one under TCG', () => {
    expect(option(qemuArgv(launch), '-cpu')).toEqual(['max']);
    expect(option(qemuArgv({ ...launch, accel: 'kvm' }), '-cpu')).toEqual(['host']);
  });
});
