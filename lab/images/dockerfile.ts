import type { ImageDefinition } from './definition.ts';

/**
 * The Dockerfile for a definition's layer on the base rootfs. Pure. Package names are already
 * validated against Debian's grammar, and commands are written in exec form (JSON), so nothing
 * in a definition is ever interpreted by a shell it did not ask for.
 */
export function layerDockerfile(def: ImageDefinition, baseTag: string, labels: Record<string, string>): string {
  const lines = [`FROM ${baseTag}`];
  if (def.packages.length > 0) {
    const install = [
      'set -e',
      'apt-get update',
      `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${def.packages.join(' ')}`,
      'apt-get clean',
      'rm -rf /var/lib/apt/lists/*',
    ].join('; ');
    lines.push(`RUN ${JSON.stringify(['/bin/sh', '-c', install])}`);
  }
  def.files.forEach((f, i) => {
    lines.push(`COPY ${JSON.stringify([`files/${i}`, f.path])}`);
    if (f.mode !== undefined) lines.push(`RUN ${JSON.stringify(['chmod', f.mode.toString(8), f.path])}`);
  });
  for (const command of def.setup) lines.push(`RUN ${JSON.stringify(command)}`);
  if (def.ports.length > 0) lines.push(`EXPOSE ${def.ports.join(' ')}`);
  lines.push(`LABEL ${Object.entries(labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
