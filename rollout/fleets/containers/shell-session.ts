import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { KEPT_SHELL_ARGUMENT } from '../../../lab/checks/host-probes.ts';
import type { ExecResult } from '../../../lab/hosts/host.ts';

/** As a lone exec keeps of a command's output: past this the session is dropped and what it said is kept. */
const MAX_CAPTURE = 4 * 1024 * 1024;
/** A shell not used for this long is closed; a host checked every few seconds never idles so long. */
const IDLE_MS = 60_000;

/**
 * One shell kept open in a fleet host (an exec of `sh -s` whose stdin stays attached; its
 * argument tells process checks it is patchlab's, see host-probes.ts), to which each batch of a
 * check's probes is written as a script. A fleet host is checked every few
 * seconds for the whole rollout; each new exec costs runc and the engine far more CPU than the
 * probes themselves, so the host's checks start no exec at all once the shell is open.
 *
 * Scripts run one at a time, each in a subshell whose stdin is /dev/null, so no command can read
 * the next script. The end of a script's output is a line with a random marker and its exit code.
 * A script that outlives its limit, a broken stream or an over-long output drops the shell; the
 * next script opens a new one. The socket holds the process open only while a script runs.
 */
export class ShellSession {
  private open: Promise<{ stream: Duplex; output: Output }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly containerId: string,
    /** Asked before every script: false once the driver's lease may have run out (see guarded-host.ts). */
    private readonly mayAct: () => boolean = () => true,
    private readonly refusal = 'not touched: the lease may have run out',
  ) {}

  /** Runs the script; its stdout and exit code come back as an exec's would. */
  run(script: string, timeoutMs: number): Promise<ExecResult> {
    const turn = this.queue.then(() => this.runNow(script, timeoutMs));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  close(): void {
    clearTimeout(this.idle);
    const open = this.open;
    this.open = undefined;
    void open?.then(({ stream }) => stream.destroy(), () => undefined);
  }

  private async runNow(script: string, timeoutMs: number): Promise<ExecResult> {
    if (!this.mayAct()) throw new Error(this.refusal);
    clearTimeout(this.idle);
    const session = await (this.open ??= this.start());
    const { stream, output } = session;
    const marker = `patchlab-session-${randomBytes(12).toString('hex')}`;
    const started = performance.now();
    socketOf(stream)?.ref();
    try {
      const ended = output.until(`\n${marker} `, timeoutMs);
      stream.write(`(\n${script}\n) </dev/null\nprintf '\\n%s %s\\n' '${marker}' "$?"\n`);
      const { text, exitCode } = await ended;
      const durationMs = Math.round(performance.now() - started);
      if (exitCode === undefined) this.drop(session);
      return { exitCode: exitCode ?? 124, stdout: text, stderr: '', durationMs, timedOut: exitCode === undefined && !output.broken && !output.full };
    } catch (error) {
      this.drop(session);
      throw error;
    } finally {
      socketOf(stream)?.unref();
      // A fleet kept for another process (taken over, or left for a resume) is never closed here: its shells close themselves.
      this.idle = setTimeout(() => this.close(), IDLE_MS).unref();
    }
  }

  /** Scripts run one at a time, so the shell being dropped is the one open (or close() came first). */
  private drop(session: { stream: Duplex }): void {
    this.open = undefined;
    session.stream.destroy();
  }

  private async start(): Promise<{ stream: Duplex; output: Output }> {
    try {
      const exec = await this.docker.getContainer(this.containerId).exec({ Cmd: ['sh', '-s', KEPT_SHELL_ARGUMENT], AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
      socketOf(stream)?.unref();
      const output = new Output();
      this.docker.modem.demuxStream(stream, output, new Writable({ write: (_chunk, _enc, done) => done() }));
      const broken = () => output.break();
      stream.on('end', broken).on('close', broken).on('error', broken);
      return { stream, output };
    } catch (error) {
      this.open = undefined;
      throw error;
    }
  }
}

/** The shell's stdout, read up to each script's end marker. */
class Output extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  private waiting: { settle: () => void } | undefined;
  broken = false;
  full = false;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > MAX_CAPTURE) this.full = true;
    this.waiting?.settle();
    done();
  }

  break(): void {
    this.broken = true;
    this.waiting?.settle();
  }

  /**
   * Resolves with the text before `marker` and the exit code after it; with what came so far and
   * no exit code if the shell broke, its output grew too long, or `timeoutMs` passed.
   */
  until(markerText: string, timeoutMs: number): Promise<{ text: string; exitCode: number | undefined }> {
    const marker = Buffer.from(markerText);
    return new Promise((resolve) => {
      const finish = (exitCode: number | undefined, end: number) => {
        clearTimeout(timer);
        this.waiting = undefined;
        const all = Buffer.concat(this.chunks);
        this.chunks = [all.subarray(end)];
        this.size = this.chunks[0]?.length ?? 0;
        resolve({ text: all.subarray(0, exitCode === undefined ? Math.min(all.length, MAX_CAPTURE) : all.indexOf(marker)).toString('utf8'), exitCode });
      };
      const settle = () => {
        const all = Buffer.concat(this.chunks);
        this.chunks = [all];
        const at = all.indexOf(marker);
        const lineEnd = at < 0 ? -1 : all.indexOf('\n', at + marker.length);
        if (lineEnd >= 0) return finish(Number(all.subarray(at + marker.length, lineEnd).toString()), lineEnd + 1);
        if (this.broken || this.full) finish(undefined, all.length);
      };
      const timer = setTimeout(() => finish(undefined, Buffer.concat(this.chunks).length), timeoutMs);
      this.waiting = { settle };
      settle();
    });
  }
}

/** The socket under a hijacked exec stream, to let the process exit while the shell idles. */
function socketOf(stream: Duplex): { ref(): void; unref(): void } | undefined {
  const socket = stream as Duplex & { ref?: () => void; unref?: () => void };
  return typeof socket.ref === 'function' && typeof socket.unref === 'function' ? (socket as { ref(): void; unref(): void }) : undefined;
}
