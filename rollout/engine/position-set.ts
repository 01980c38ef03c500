
/**
 * A set of positions in a list of known length, as a ring's health memo keeps them: a flag per
 * position says who is in, a list goes through them, put in order only when asked. A million
 * hosts passing through it cost a byte each and no hash table.
 */
export class PositionSet {
  private readonly member: Uint8Array;
  /** Members, and positions no longer members or listed twice until the list is next tidied. */
  private list: number[] = [];
  private tidy = true;
  size = 0;

  constructor(capacity: number) {
    this.member = new Uint8Array(capacity);
  }

  has(p: number): boolean {
    return this.member[p] === 1;
  }

  add(p: number): void {
    if (this.member[p] === 1) return;
    this.member[p] = 1;
    this.size++;
    if (this.list.length > 0 && this.list[this.list.length - 1]! >= p) this.tidy = false;
    this.list.push(p);
  }

  delete(p: number): void {
    if (this.member[p] !== 1) return;
    this.member[p] = 0;
    this.size--;
    this.tidy = false;
    // Left in the list until the next tidying, which comes before the list outgrows its members.
    if (this.list.length > 2 * this.size + 1024) this.tidyUp();
  }

  /** The members in order; valid until the set next changes. */
  inOrder(): readonly number[] {
    if (!this.tidy) this.tidyUp();
    return this.list;
  }

  /** The members in order, as a list of their own. */
  members(): number[] {
    return [...this.inOrder()];
  }

  private tidyUp(): void {
    const sorted = Int32Array.from(this.list.filter((p) => this.member[p] === 1)).sort();
    this.list = [];
    for (let k = 0; k < sorted.length; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) this.list.push(sorted[k]!);
    this.tidy = true;
  }
}
