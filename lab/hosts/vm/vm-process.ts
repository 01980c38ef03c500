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
(
  read -r _ <&3
  # Marked before the kill, so the shell below, woken by that kill, cannot take it for a reboot.
  [ -d "$PATCHLAB_VM_DIR" ] && : > "$PATCHLAB_VM_DIR/owner-gone"
  kill "$q" 2>/dev/null
  i=0
  while kill -0 "$q" 2>/dev/null && [ "$i" -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
  kill -9 "$q" 2>/dev/null
  # Removed here, whoever stopped the VM: the owner's death alone decides.
  rm -rf -- "$PATCHLAB_VM_DIR"
) </dev/null 2>/dev/null &
w=$!
# Only qemu writes to the owner's pipe: once the owner is dead, the shell's own "Terminated" notice
# there would kill it with SIGPIPE before it cleans up, which is how a CI run kept two VM folders.
exec 2>/dev/null
wait "$q"; status=$?
if [ -e "$PATCHLAB_VM_DIR/owner-gone" ]; then
  wait "$w"
else
  # The VM ended on its own (a reboot): its owner carries on and starts it again.
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

  /** `program` is qemu but for the watchdog's own test, which needs no VM to judge the watchdog. */
  static launch(qemuArgv: readonly string[], dir: string, program = 'qemu-system-x86_64'): VmProcess {
    const child = spawn('sh', ['-c', WATCHDOG, 'patchlab-vm', program, ...qemuArgv], {
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
