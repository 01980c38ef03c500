/**
 * Why ssh could not run a command on a server, from what the OpenSSH client printed. Pure, so
 * each wording is tested without a network. ssh exits 255 for its own errors; any other status
 * is the remote command's.
 */
export type SshFailureReason = 'host-key-unknown' | 'host-key-changed' | 'unreachable' | 'auth' | 'sudo-refused' | 'ssh-error';

export interface SshFailure {
  reason: SshFailureReason;
  /** One sentence for a person: what happened and what to do. */
  detail: string;
}

const UNREACHABLE = /Connection refused|Connection timed out|timed out during banner exchange|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Connection closed by|Connection reset|kex_exchange_identification/i;

export function classifySshFailure(host: string, stderr: string, timedOut = false): SshFailure {
  const said = lastLine(stderr);
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return { reason: 'host-key-changed', detail: `host key of ${host} has changed since known_hosts recorded it: refused (another machine, or someone in between); if the change is known, replace the entry after checking the new fingerprint` };
  }
  if (/No \S+ host key is known for|Host key verification failed/i.test(stderr)) {
    return { reason: 'host-key-unknown', detail: `host key of ${host} is not in known_hosts and host keys are checked strictly: add it after checking its fingerprint (ssh-keyscan), or scan with --accept-new-host-keys` };
  }
  if (timedOut) return { reason: 'unreachable', detail: `${host} did not answer in time` };
  if (UNREACHABLE.test(stderr)) return { reason: 'unreachable', detail: `${host} is unreachable: ${said}` };
  if (/Permission denied|Too many authentication failures|no mutual signature/i.test(stderr)) {
    return { reason: 'auth', detail: `${host} refused the login: ${said} (the key must be in the agent, the ssh config or the inventory; there is never a password prompt)` };
  }
  return { reason: 'ssh-error', detail: `ssh to ${host} failed: ${said || 'no message'}` };
}

/** sudo -n's refusal, in the words a person needs. */
export function sudoRefused(host: string, user: string, stderr: string): SshFailure {
  return {
    reason: 'sudo-refused',
    detail: `sudo refused on ${host} for ${user}: ${lastLine(stderr) || 'no message'} (patchlab runs commands as root through sudo -n: give ${user} passwordless sudo, or log in as root)`,
  };
}

function lastLine(text: string): string {
  return text.trim().split('\n').map((l) => l.trim()).filter((l) => l && !/^@+$|^Warning: Permanently added/.test(l)).slice(-1)[0] ?? '';
}
