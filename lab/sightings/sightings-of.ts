import type { HostScan } from '../inventory/scan/host-scan.ts';
import type { PackageVersion, ScheduleRunRecord } from '../schedule/schedule-store.ts';

/** What one discovery saw pending, as the sighting store notes it. Pure. */
export interface Sightings {
  updates: PackageVersion[];
  at: number;
  seenBy: string;
}

/** A scheduled run saw every update its images had pending ("name=version", as it stores them). */
export function sightingsOfScheduleRun(run: ScheduleRunRecord): Sightings {
  const updates = run.images.flatMap((i) =>
    i.upgradable.flatMap((word) => {
      const at = word.indexOf('=');
      return at > 0 ? [{ name: word.slice(0, at), version: word.slice(at + 1) }] : [];
    }),
  );
  return { updates, at: run.startedAt, seenBy: `schedule ${run.schedule}` };
}

/** A scan saw its host's pending updates at their candidate versions; a failed scan saw nothing. */
export function sightingsOfScan(scan: HostScan): Sightings {
  const updates = scan.error ? [] : (scan.pending ?? []).map((p) => ({ name: p.name, version: p.candidate }));
  return { updates, at: Date.parse(scan.scannedAt), seenBy: `scan of ${scan.host}` };
}
