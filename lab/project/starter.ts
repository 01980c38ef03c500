import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_FILE } from './project.ts';

/** What `patchlab init` writes: every field, with a comment saying what it is for. */
export const STARTER = `# patchlab project: the images, checks and scenarios of your estate.
# patchlab finds this file from the working directory upwards; elsewhere, pass
# --project DIR or set PATCHLAB_PROJECT. Paths are relative to this file.

# Image definitions: every *.yaml in these folders (or the files named). Three kinds:
#
#   name: app                       # a package list on a Debian suite, built from a debootstrap rootfs
#   suite: bookworm
#   packages: [nginx-light]
#
#   name: shop                      # a Dockerfile, built by the local Docker engine. No registry is
#   dockerfile: shop/Dockerfile     # reachable: start it with ARG PATCHLAB_BASE / FROM \${PATCHLAB_BASE}
#                                   # (the suite's base image) or FROM another local image
#
#   name: legacy                    # an image already on this Docker engine, used as it is
#   image: legacy/app:2024-11       # a local reference, as docker images lists it
#
# Each kind may say how its service starts, stops and when it is ready, its ports, its checks,
# and the hosts it needs (a database the web host reads from):
#
#   service:
#     start: [nginx]                # a list of words, never a shell string
#     stop: [nginx, -s, quit]
#     ready: [80, http://localhost/healthz]   # ports that listen, URLs that answer 2xx/3xx
#     timeout: 60                   # seconds to wait for ready (default 30)
#   ports: [80]
#   checks: [app.goss.yaml, app.spec.ts]      # goss files, Playwright Test specs, browser checks
#   needs:
#     - { image: db, hostname: db, env: { DB_HOST: db } }
images: images

# Where checks live: a definition's checks are looked up beside it, then here.
checks: checks

# Rollout scenarios of this estate.
scenarios: scenarios

# Packages no patch may touch, by name or glob.
holds: []

# Which rollout policy a patch takes, by what its packages' changelogs say; first match wins.
# policyRules:
#   - { name: urgent-or-cve, when: { urgency: [high, emergency, critical], cve: true }, policy: critical-security }
#   - { name: routine, policy: standard }

# Roll out only updates first seen pending at least this long ago; an admin may override.
# minimumAge: 3d
`;

/** Writes patchlab.yaml and its empty folders; never overwrites an existing project file. */
export function writeStarter(dir: string): string {
  const root = resolve(dir);
  const file = join(root, PROJECT_FILE);
  if (existsSync(file)) throw new Error(`${file} already exists: patchlab init never overwrites a project file`);
  mkdirSync(root, { recursive: true });
  for (const folder of ['images', 'checks', 'scenarios']) mkdirSync(join(root, folder), { recursive: true });
  writeFileSync(file, STARTER, { flag: 'wx' });
  return file;
}
