import { join } from 'node:path';
import type { SshConnection } from './ssh-channel.ts';

/** One of a team's servers, as an inventory names it. */
export interface ServerTarget {
  /** The inventory's name for it. */
  name: string;
  /** What ssh connects to: an address, or a name the user's ssh config knows. */
  address: string;
  /** Unset: the user's ssh config (or 22) decides. */
  port?: number;
  /** Unset: the user's ssh config (or the local user name) decides. */
  user?: string;
  keyFile?: string;
  /** Run commands through `sudo -n`. Unset: whenever the login is not root. */
  become?: boolean;
}

export interface SshClientOptions {
  /** ssh -F: a config file instead of ~/.ssh/config (tests pass their own). */
  configFile?: string;
  /**
   * `strict` (the default) refuses a host whose key is unknown or changed; `accept-new` records
   * the key of a host seen for the first time, and still refuses a changed one.
   */
  hostKeys?: 'strict' | 'accept-new';
  connectTimeoutSeconds?: number;
}

/** A word ssh could take for an option, or that holds a space or control character, is refused. */
const SAFE_WORD = /^[^-\s\p{Cc}][^\s\p{Cc}]*$/u;

export function checkTarget(target: ServerTarget): void {
  if (!SAFE_WORD.test(target.address)) throw new Error(`host ${target.name}: address ${JSON.stringify(target.address)} is not a host name or address`);
  if (target.user !== undefined && (!SAFE_WORD.test(target.user) || target.user.includes('@'))) {
    throw new Error(`host ${target.name}: user ${JSON.stringify(target.user)} is not a user name`);
  }
  if (target.port !== undefined && !(Number.isInteger(target.port) && target.port >= 1 && target.port <= 65535)) {
    throw new Error(`host ${target.name}: port ${target.port} is not a port number (1-65535)`);
  }
}

/** sudo unless told otherwise and the login is root; an unknown login (from ssh config) is asked for. */
export function needsSudo(target: ServerTarget, loginUser: string): boolean {
  return target.become ?? loginUser !== 'root';
}

/**
 * The ssh options for a server. Pure. What the user set in ssh config, the agent and
 * known_hosts still apply; patchlab only adds what must hold for an unattended run:
 * - BatchMode: never a password or passphrase prompt, which would hang a scan;
 * - StrictHostKeyChecking: a host whose key changed is refused, never trusted anew;
 * - a master connection per host (ControlMaster) in a private folder, closed idle after 60 s
 *   even if patchlab dies, so one scan pays for one key exchange, not one per command.
 */
export function serverConnection(target: ServerTarget, client: SshClientOptions, controlDir: string, viaSudo: boolean): SshConnection {
  checkTarget(target);
  const base = [
    ...(client.configFile ? ['-F', client.configFile] : []),
    '-o', 'BatchMode=yes',
    '-o', `StrictHostKeyChecking=${client.hostKeys === 'accept-new' ? 'accept-new' : 'yes'}`,
    '-o', `ConnectTimeout=${client.connectTimeoutSeconds ?? 10}`,
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=6',
    '-o', 'ControlMaster=auto',
    // %C: a hash of host, port and user, short enough for a socket path.
    '-o', `ControlPath=${join(controlDir, '%C')}`,
    '-o', 'ControlPersist=60',
    ...(target.port !== undefined ? ['-p', String(target.port)] : []),
    ...(target.user !== undefined ? ['-l', target.user] : []),
    ...(target.keyFile !== undefined ? ['-i', target.keyFile] : []),
  ];
  // `--` ends ssh's options: nothing after it is read as one.
  return { args: (extra) => [...base, ...extra, '--', target.address], viaSudo };
}
