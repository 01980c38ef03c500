/**
 * A step function recorded as it happens (time, value), one point per distinct time, in typed
 * arrays that grow: a million patches make a million points without a million objects.
 */
export class StepSeries {
  private times = new Float64Array(256);
  private values = new Float64Array(256);
  private length = 0;

  record(at: number, value: number): void {
    const last = this.length - 1;
    if (last >= 0 && this.times[last] === at) {
      this.values[last] = value;
      return;
    }
    if (last >= 0 && this.values[last] === value) return;
    if (this.length === this.times.length) {
      const times = new Float64Array(this.length * 2);
      const values = new Float64Array(this.length * 2);
      times.set(this.times);
      values.set(this.values);
      this.times = times;
      this.values = values;
    }
    this.times[this.length] = at;
    this.values[this.length] = value;
    this.length++;
  }

  get size(): number {
    return this.length;
  }

  /**
   * At most about `points` points, keeping in each time bucket the last value and the extremes
   * (so a short dip of a rollback still shows), and always the first and last points.
   */
  thinned(points: number, until: number): { at: number[]; value: number[] } {
    const at: number[] = [];
    const value: number[] = [];
    const push = (t: number, v: number) => {
      if (at.length > 0 && at[at.length - 1] === t) value[value.length - 1] = v;
      else {
        at.push(t);
        value.push(v);
      }
    };
    if (this.length === 0) return { at, value };
    const start = this.times[0]!;
    const bucket = Math.max((Math.max(until, this.times[this.length - 1]!) - start) / Math.max(points / 3, 1), 1e-9);
    let i = 0;
    while (i < this.length) {
      const end = start + (Math.floor((this.times[i]! - start) / bucket) + 1) * bucket;
      let low = i;
      let high = i;
      let j = i;
      for (; j < this.length && this.times[j]! < end; j++) {
        if (this.values[j]! < this.values[low]!) low = j;
        if (this.values[j]! > this.values[high]!) high = j;
      }
      const last = j - 1;
      for (const k of [...new Set([i, low, high, last])].sort((a, b) => a - b)) push(this.times[k]!, this.values[k]!);
      i = j;
    }
    if (until > at[at.length - 1]!) push(until, value[value.length - 1]!);
    return { at, value };
  }
}
