import type { Host } from './host.ts';

/** What a guarded host refuses: every command that could change it or read from it. */
const GUARDED = new Set<PropertyKey>(['exec', 'copyIn', 'copyOut', 'snapshot', 'reboot', 'stop']);

/**
 * The host, asking `mayAct` before every command. A rollout's driver that was frozen (SIGSTOP)
 * past its lease may wake in the middle of a host step (apt done, the service restart next);
 * through this, the rest of that step is refused instead of running on a host that another driver
 * now drives.
 */
export function guardedHost(host: Host, mayAct: () => boolean, refusal: string): Host {
  return new Proxy(host, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (!GUARDED.has(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        if (!mayAct()) throw new Error(refusal);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
