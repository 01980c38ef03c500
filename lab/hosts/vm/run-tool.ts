import { spawn } from 'node:child_process';

/** Runs a machine tool (qemu-img, mkfs.ext4, tar, ssh-keygen) with argv, never a shell; fails with its stderr. */
export function runTool(command: string, args: readonly string[], input?: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    });
    if (input && child.stdin) input.pipe(child.stdin);
    child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message} (bin/setup installs it)`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${tail.trim()}`))));
  });
}
