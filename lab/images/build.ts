import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { debianMirror, type DebianMirror } from '../config/mirror.ts';
import { dataDir } from '../config/paths.ts';
import { dockerClient } from '../hosts/docker-client.ts';
import { silent, type Progress } from '../progress.ts';
import { builtInDefinitionsDir, imageCatalog, kindOf, loadImageDefinition, sourceOf, type ImageDefinition } from './definition.ts';
import { buildDockerfileImage, contextDigest } from './dockerfile-build.ts';
import { layerDockerfile } from './dockerfile.ts';
import { BUILDER_VERSION, sha256, shortHash } from './hash.ts';
import { withLock } from './lock.ts';

export const IMAGE_LABEL = 'patchlab.image';
export const DEFINITION_HASH_LABEL = 'patchlab.definition-hash';

export interface BuiltImage {
  name: string;
  tag: string;
  hash: string;
  /** False when an image with this definition's hash already existed. */
  built: boolean;
  definition?: ImageDefinition;
}

export interface BuildOptions {
  docker?: Docker;
  progress?: Progress;
  mirror?: DebianMirror;
  /** Folders with more image definitions than the built-in ones. */
  definitionDirs?: string[];
  /** Build again even if the hash is there. */
  force?: boolean;
}

export function baseTag(suite: string): string {
  return `patchlab/base:${suite}-${shortHash({ builder: BUILDER_VERSION, suite, variant: 'minbase' })}`;
}

export function definitionHash(def: ImageDefinition): string {
  // needs: which hosts run beside the image changes nothing in it.
  const { file, description, checks, needs, ...meaningful } = def;
  const files = def.files.map((f) => sha256(readFileSync(sourceOf(file, f.source))));
  const context = kindOf(def) === 'dockerfile' ? { context: contextDigest(def) } : {};
  return shortHash({ builder: BUILDER_VERSION, base: baseTag(def.suite), def: meaningful, files, ...context });
}

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[], progress: Progress): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) if (/^I: (Retrieving|Validating|Extracting|Installing|Configuring) /.test(line)) progress(line.slice(3));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message} (bin/setup installs it)`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${tail}`))));
  });
}

/** debootstrap once per suite, imported as a local image: no registry is ever needed. */
export async function ensureBaseImage(suite: string, options: BuildOptions = {}): Promise<BuiltImage> {
  const docker = options.docker ?? dockerClient();
  const progress = options.progress ?? silent;
  const tag = baseTag(suite);
  const hash = tag.split(':')[1] ?? tag;
  return withLock(join(dataDir(), 'locks'), `base-${suite}`, async () => {
    if (!options.force && (await imageExists(docker, tag))) return { name: 'base', tag, hash, built: false };
    const mirror = options.mirror ?? debianMirror(suite);
    const rootfs = join(dataDir(), 'build', `rootfs-${hash}`);
    rmSync(rootfs, { recursive: true, force: true });
    mkdirSync(rootfs, { recursive: true });
    try {
      progress(`base ${suite}: debootstrap --variant=minbase (about 30 s)`);
      await run('debootstrap', ['--variant=minbase', suite, rootfs, mirror.archive], progress);
      // Like Debian's own container images: package scripts must not start daemons; the lab does.
      writeFileSync(join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n');
      chmodSync(join(rootfs, 'usr/sbin/policy-rc.d'), 0o755);
      rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
      mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
      progress(`base ${suite}: importing the rootfs as ${tag}`);
      const tarball = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [repo, version] = tag.split(':');
      const stream = await docker.importImage(tarball.stdout as unknown as string, {
        repo,
        tag: version,
        changes: [`LABEL ${IMAGE_LABEL}=base`, `LABEL ${DEFINITION_HASH_LABEL}=${hash}`, 'CMD ["/bin/bash"]'],
      } as object);
      await followBuild(docker, stream, progress);
      return { name: 'base', tag, hash, built: true };
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  });
}

export async function followBuild(docker: Docker, stream: NodeJS.ReadableStream, progress: Progress): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = output?.find((o) => o.error);
        if (error) reject(error);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      },
      (event: { stream?: string }) => {
        const line = event.stream?.trim();
        if (line && /^Step \d+\/\d+/.test(line)) progress(line);
      },
    );
  });
}

export async function buildDefinition(def: ImageDefinition, options: BuildOptions = {}): Promise<BuiltImage> {
  const docker = options.docker ?? dockerClient();
  const progress = options.progress ?? silent;
  if (kindOf(def) === 'image') return existingImage(docker, def);
  const hash = definitionHash(def);
  const tag = `patchlab/${def.name}:${hash}`;
  return withLock(join(dataDir(), 'locks'), `image-${def.name}`, async () => {
    if (!options.force && (await imageExists(docker, tag))) return { name: def.name, tag, hash, built: false, definition: def };
    const base = await ensureBaseImage(def.suite, options);
    progress(`image ${def.name}: building ${tag}`);
    const labels = { [IMAGE_LABEL]: def.name, [DEFINITION_HASH_LABEL]: hash };
    if (kindOf(def) === 'dockerfile') {
      await buildDockerfileImage(docker, def, tag, base.tag, labels, (stream) => followBuild(docker, stream, progress));
    } else {
      await buildPackageLayer(docker, def, tag, base.tag, labels, progress);
    }
    progress(`image ${def.name}: built ${tag}`);
    await removeOlderBuilds(docker, `patchlab/${def.name}`, tag);
    return { name: def.name, tag, hash, built: true, definition: def };
  });
}

/** An existing image is the team's: patchlab only checks it is there, and never builds or removes it. */
async function existingImage(docker: Docker, def: ImageDefinition): Promise<BuiltImage> {
  const tag = def.image as string;
  if (!(await imageExists(docker, tag))) {
    throw new Error(`image definition ${def.name} (${def.file}): image: ${tag} is not on this Docker engine, and no registry is reachable to pull it (build it or docker load it first)`);
  }
  return { name: def.name, tag, hash: '', built: false, definition: def };
}

/** A package-list definition: its layer's Dockerfile is written from the definition, on the suite's base. */
async function buildPackageLayer(docker: Docker, def: ImageDefinition, tag: string, baseImage: string, labels: Record<string, string>, progress: Progress): Promise<void> {
  const context = tar.pack();
  context.entry({ name: 'Dockerfile' }, layerDockerfile(def, baseImage, labels));
  def.files.forEach((f, i) => context.entry({ name: `files/${i}` }, readFileSync(sourceOf(def.file, f.source))));
  context.finalize();
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true });
  await followBuild(docker, stream, progress);
}

/** Builds of an older definition only take space; one still used by a container stays. */
export async function removeOlderBuilds(docker: Docker, repo: string, keep: string): Promise<void> {
  const images = await docker.listImages({ filters: { reference: [repo] } });
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      if (tag !== keep) await docker.getImage(tag).remove().catch(() => undefined);
    }
  }
}

export interface ResolvedImage {
  /** What to start hosts from. */
  tag: string;
  definition?: ImageDefinition;
}

/**
 * A name from the catalog is built (or found by its hash); anything else is taken as an image
 * reference the user already has on this engine.
 */
export async function resolveImage(nameOrRef: string, options: BuildOptions = {}): Promise<ResolvedImage> {
  const catalog = imageCatalog(options.definitionDirs);
  const file = catalog.get(nameOrRef);
  if (file) {
    const built = await buildDefinition(loadImageDefinition(file), options);
    return { tag: built.tag, definition: built.definition };
  }
  const docker = options.docker ?? dockerClient();
  if (!(await imageExists(docker, nameOrRef))) {
    const known = [...catalog.keys()].join(', ');
    const where = catalog.size > builtInCount() ? 'a definition of the project or a built-in one' : 'a built-in definition';
    throw new Error(`image ${JSON.stringify(nameOrRef)}: not ${where} (${known}) and no such image on this Docker engine`);
  }
  return { tag: nameOrRef };
}

export async function buildAll(options: BuildOptions = {}): Promise<BuiltImage[]> {
  const results: BuiltImage[] = [];
  for (const file of imageCatalog(options.definitionDirs).values()) {
    results.push(await buildDefinition(loadImageDefinition(file), options));
  }
  return results;
}

function builtInCount(): number {
  return readdirSync(builtInDefinitionsDir).filter((n) => /\.ya?ml$/.test(n)).length;
}
