import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import type { FileToCopy } from './host.ts';

export function packFiles(files: readonly FileToCopy[]): Readable {
  const pack = tar.pack();
  for (const file of files) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content) : file.content;
    pack.entry({ name: file.path.replace(/^\/+/, ''), mode: file.mode ?? 0o644, size: content.length }, content);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

/** Reads the first regular file of a tar stream (what Docker's archive endpoint returns for one path). */
export async function firstFileOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const extract = tar.extract();
  const passthrough = new PassThrough();
  stream.pipe(passthrough).pipe(extract);
  for await (const entry of extract) {
    if (entry.header.type === 'file') {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    entry.resume();
  }
  throw new Error('archive holds no regular file');
}
