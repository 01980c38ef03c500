import type { SshConnection } from '../ssh/ssh-channel.ts';

export interface VmSshTarget {
  port: number;
  keyFile: string;
  /** One master connection per host: under TCG a fresh key exchange costs the guest seconds. */
  controlPath: string;
}

/** A VM's agent: its sshd on a forwarded loopback port, reached as root with the VM's one-time key. */
export function vmConnection(target: VmSshTarget): SshConnection {
  return {
    args: (extra) => [
      '-i', target.keyFile,
      '-p', String(target.port),
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      // Every VM host is new and lives on loopback: there is no host key worth remembering.
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR',
      '-o', 'ConnectTimeout=10',
      '-o', 'ServerAliveInterval=5',
      '-o', 'ServerAliveCountMax=6',
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${target.controlPath}`,
      '-o', 'ControlPersist=yes',
      ...extra,
      'root@127.0.0.1',
    ],
  };
}
