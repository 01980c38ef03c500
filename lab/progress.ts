/** Where long operations say what they are doing; the CLI prints it, tests may collect it. */
export type Progress = (message: string) => void;

export const silent: Progress = () => {};

export function stderrProgress(prefix = 'patchlab', now: () => number = Date.now): Progress {
  const started = now();
  return (message) => {
    const seconds = ((now() - started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${seconds}s] ${prefix}: ${message}\n`);
  };
}
