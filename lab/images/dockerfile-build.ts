import type Docker from 'dockerode';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import tar from 'tar-stream';
import { sha256 } from './hash.ts';
import { sourceOf, type ImageDefinition } from './definition.ts';

/** The build argument a team's Dockerfile starts from: `ARG PATCHLAB_BASE` then `FROM ${PATCHLAB_BASE}`. */
export const BASE_BUILD_ARG = 'PATCHLAB_BASE';
/** Where the Dockerfile goes in the context patchlab sends, wherever it lies in the team's folder. */
const DOCKERFILE_IN_CONTEXT = '.patchlab/Dockerfile';
/** A context is a few files a team wrote; past this it is likely a wrong folder (a home directory). */
const MAX_CONTEXT_FILES = 10_000;

export function dockerfileOf(def: ImageDefinition): string {
  return sourceOf(def.file, def.dockerfile as string);
}

export function contextOf(def: ImageDefinition): string {
  return def.context !== undefined ? sourceOf(def.file, def.context) : dirname(dockerfileOf(def));
}

interface ContextFile {
  name: string;
  path: string;
  mode: number;
}

/** Every regular file of the context, sorted, without .git; links are not followed (Docker would not either). */
function contextFiles(def: ImageDefinition): ContextFile[] {
  const root = contextOf(def);
  const found: ContextFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.git') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push({ name: relative(root, path), path, mode: lstatSync(path).mode & 0o7777 });
      if (found.length > MAX_CONTEXT_FILES) {
        throw new Error(`image definition ${def.name} (${def.file}): context ${root} holds more than ${MAX_CONTEXT_FILES} files; name a smaller folder with context:`);
      }
    }
  };
  walk(root);
  return found;
}

/** What the image is made of, for its hash: the Dockerfile and every file of its context, with their modes. */
export function contextDigest(def: ImageDefinition): { dockerfile: string; files: string[] } {
  return {
    dockerfile: sha256(readFileSync(dockerfileOf(def))),
    files: contextFiles(def).map((f) => `${f.name}:${f.mode.toString(8)}:${sha256(readFileSync(f.path))}`),
  };
}

/**
 * Builds the team's Dockerfile on the local engine. No registry is reachable, so a FROM that is
 * not a local image fails: the error says so and what to start from instead.
 */
export async function buildDockerfileImage(
  docker: Docker,
  def: ImageDefinition,
  tag: string,
  baseTag: string,
  labels: Record<string, string>,
  follow: (stream: NodeJS.ReadableStream) => Promise<void>,
): Promise<void> {
  const context = tar.pack();
  for (const file of contextFiles(def)) context.entry({ name: file.name, mode: file.mode }, readFileSync(file.path));
  context.entry({ name: DOCKERFILE_IN_CONTEXT }, readFileSync(dockerfileOf(def)));
  context.finalize();
  try {
    const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: tag,
      dockerfile: DOCKERFILE_IN_CONTEXT,
      buildargs: { [BASE_BUILD_ARG]: baseTag },
      labels,
      rm: true,
      forcerm: true,
    });
    await follow(stream);
  } catch (error) {
    const message = (error as Error).message;
    const where = `image definition ${def.name} (${def.file}): docker build of ${dockerfileOf(def)} failed`;
    if (/pull|manifest|registry|repository .* not found|no such host|dial tcp|i\/o timeout/i.test(message)) {
      throw new Error(
        `${where} pulling its FROM image: ${message.trim()}. No container registry is reachable here: FROM must name an image ` +
          `on this Docker engine, such as the suite's base image (ARG ${BASE_BUILD_ARG} then FROM \${${BASE_BUILD_ARG}}) or another local image.`,
      );
    }
    throw new Error(`${where}: ${message.trim()}`);
  }
}
