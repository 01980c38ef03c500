import { connect } from 'node:net';
import type { CheckResult, CheckTarget } from '../../../lab/checks/types.ts';
import type { Endpoint } from '../../../lab/hosts/host.ts';
import { loadCheckSuite } from '../../../lab/run/check-suite.ts';
import type { CheckSuite } from '../../../lab/run/lab-run.ts';

const BROWSER_SPEC = /\.(ts|mts|js|mjs)$/;

/** Whether this machine can open a TCP connection to the endpoint within the limit. */
export function reachable(endpoint: Endpoint, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.address, port: endpoint.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The scenario's checks against a server: goss checks run on it over ssh as on any host; browser
 * specs need its service port from this machine, which a firewall may close to patchlab: when
 * the port does not answer, each spec is a skip that says so, never a failure of the server.
 */
export async function serverCheckSuite(files: readonly string[], port: number, screenshotDir: string): Promise<CheckSuite> {
  const goss = await loadCheckSuite(files.filter((f) => !BROWSER_SPEC.test(f)), { screenshotDir });
  const specs = files.filter((f) => BROWSER_SPEC.test(f));
  const browser = specs.length > 0 ? await loadCheckSuite(specs, { screenshotDir, port }) : undefined;
  return {
    async run(target: CheckTarget): Promise<CheckResult[]> {
      const results = await goss.run(target);
      if (!browser) return results;
      const endpoint = target.host.endpoint(port);
      if (await reachable(endpoint)) return [...results, ...(await browser.run(target))];
      return [
        ...results,
        ...specs.map((file): CheckResult => ({
          id: `browser:${file}`,
          kind: 'browser',
          name: `browser ${file}`,
          status: 'skip',
          message: `port ${endpoint.port} of ${target.label} does not answer from this machine: browser checks skipped`,
          durationMs: 0,
        })),
      ];
    },
    async close(): Promise<void> {
      await Promise.all([goss.close(), browser?.close()]);
    },
  };
}
