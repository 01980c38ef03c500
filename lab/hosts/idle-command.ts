/**
 * PID 1 of a lab container: it idles and stops at once on SIGTERM, so the lab decides which
 * services run and when. It is patchlab's, not the image's: process checks leave it out.
 */
export const IDLE_COMMAND: readonly string[] = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];
