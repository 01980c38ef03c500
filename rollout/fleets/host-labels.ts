export interface FleetGroup {
  count: number;
  labels: Record<string, string>;
}

/** A fleet as a count of hosts and its labelled groups: the real fleet, or the simulator's at another size. */
export interface FleetShape {
  hosts: number;
  /** Labelled hosts, group after group from index 0; hosts past the last group carry no label. */
  groups: FleetGroup[];
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Each host's labels by index, for a fleet of `size` hosts. At another size than `fleet.hosts`
 * each group keeps its share: 8 of 16 becomes 50,000 of 100,000. The objects are shared between
 * hosts of a group, so a 100,000-host fleet costs one array.
 */
export function hostLabels(fleet: FleetShape, size = fleet.hosts): Readonly<Record<string, string>>[] {
  const labels = new Array<Readonly<Record<string, string>>>(size).fill(NO_LABELS);
  let start = 0;
  for (const group of fleet.groups) {
    const end = start + group.count;
    labels.fill(group.labels, Math.round((start * size) / fleet.hosts), Math.round((end * size) / fleet.hosts));
    start = end;
  }
  return labels;
}

