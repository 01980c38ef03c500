/**
 * What a command must do before an interrupted process exits (Ctrl-C, SIGTERM). A rollout, for
 * one, stops driving and records a pause, so its page does not say "running" with nobody behind
 * it. The CLI's signal handler runs these, then removes the process's own hosts.
 */
type Cleanup = (signal: NodeJS.Signals) => Promise<unknown>;

const cleanups = new Set<Cleanup>();

/** Registers a cleanup; the returned function unregisters it once the work it guards is over. */
export function onInterrupt(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup together, for at most timeoutMs: a second Ctrl-C should not be needed. */
export async function runInterruptCleanups(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  const all = Promise.allSettled([...cleanups].map((c) => c(signal)));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
