/**
 * Simulated time: events by time, events at the same time in the order they were pushed, so a
 * run never depends on how a queue happens to break ties. An event is three numbers: its time,
 * its kind and its subject (a host index, a ring index or a pause number).
 */
export interface SimulatedTime {
  /** Filled in by pop(). */
  time: number;
  kind: number;
  subject: number;
  readonly size: number;
  /** The time of the earliest event, Infinity when none is left. */
  peekTime(): number;
  push(time: number, kind: number, subject: number): void;
  /** Takes the earliest event into time, kind and subject; false when there is none. */
  pop(): boolean;
}
