import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs qemu under a small sh watchdog that holds the read end of a pipe from this process. When
 * this process ends, however it ends (SIGKILL included), the pipe closes and the watchdog kills
 * the VM and removes its folder: no qemu process or disk outlives its owner. The script is fixed
 * text; qemu's arguments reach it as "$@", never re-parsed.
 */
const WATCHDOG = `
exec 3<&0
"$@" </dev/null 3<&- &
q=$!
# The mark is made before the kill, so it is there by the time wait returns for that kill.
( read -r _ <&3; : > "$PATCHLAB_VM_DIR/owner-gone"; kill "$q" 2>/dev/null ) </dev/null &
w=$!
wait "$q"; status=$?
if [ -e "$PATCHLAB_VM_DIR/owner-gone" ]; then
  rm -rf -- "$PATCHLAB_VM_DIR"
else
  # qemu ended on its own (a reboot): its owner carries on and starts it again.
  kill "$w" 2>/dev/null
fi
exit "$status"
`;

export class VmProcess {
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.on('close', (code) => {
        this.exitCode = code;
        resolve(code);
      });
      child.on('error', (error) => {
        this.stderr += error.message;
        this.exitCode = null;
        resolve(null);
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
  }

  static launch(qemuArgv: readonly string[], dir: string): VmProcess {
    const child = spawn('sh', ['-c', WATCHDOG, 'patchlab-vm', 'qemu-system-x86_64', ...qemuArgv], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, PATCHLAB_VM_DIR: dir },
      // Its own process group: a kill aimed at patchlab's group must leave the watchdog to clean up.
      detached: true,
    });
    child.stdin?.on('error', () => undefined);
    return new VmProcess(child);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** What qemu printed, such as a port it could not forward. */
  get errors(): string {
    return this.stderr.trim();
  }

  /** Closes the watchdog's pipe: the VM stops and its folder goes. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
