/**
 * Ansible's host ranges: `web[01:08].example.com`, `db-[a:f]`, `node[0:20:5]`. Pure. A range with
 * a leading zero keeps its width (01..08), as Ansible does; several ranges in one name multiply.
 */
export const MAX_EXPANDED_HOSTS = 10_000;

const RANGE = /\[([^\]]*)\]/;

export function hasRange(pattern: string): boolean {
  return RANGE.test(pattern);
}

/** The host names a pattern stands for; throws an Error whose message says what was expected. */
export function expandHostPattern(pattern: string): string[] {
  const match = RANGE.exec(pattern);
  if (!match) return [pattern];
  const head = pattern.slice(0, match.index);
  const tail = pattern.slice(match.index + match[0].length);
  const values = rangeValues(match[1] ?? '', pattern);
  const rest = expandHostPattern(tail);
  if (values.length * rest.length > MAX_EXPANDED_HOSTS) {
    throw new Error(`host range ${pattern}: expected at most ${MAX_EXPANDED_HOSTS} hosts, it makes ${values.length * rest.length}`);
  }
  return values.flatMap((v) => rest.map((r) => `${head}${v}${r}`));
}

function rangeValues(inside: string, pattern: string): string[] {
  const parts = inside.split(':');
  const [start = '', end = '', stepText] = parts;
  const expected = `host range ${pattern}: expected [start:end] or [start:end:step] with numbers (01:08) or single letters of one case (a:f)`;
  if (parts.length < 2 || parts.length > 3 || start === '' || end === '') throw new Error(expected);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1 || (stepText !== undefined && !/^\d+$/.test(stepText))) {
    throw new Error(`host range ${pattern}: expected a step of 1 or more, got ${JSON.stringify(stepText)}`);
  }
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const padded = start.length > 1 && start.startsWith('0');
    if (padded && start.length !== end.length) throw new Error(`host range ${pattern}: expected start and end of the same width when the start has a leading zero`);
    const [from, to] = [Number(start), Number(end)];
    if (from > to) throw new Error(`host range ${pattern}: expected the start (${start}) not to exceed the end (${end})`);
    if ((to - from) / step + 1 > MAX_EXPANDED_HOSTS) throw new Error(`host range ${pattern}: expected at most ${MAX_EXPANDED_HOSTS} hosts`);
    const values: string[] = [];
    for (let n = from; n <= to; n += step) values.push(padded ? String(n).padStart(start.length, '0') : String(n));
    return values;
  }
  if ((/^[a-z]$/.test(start) && /^[a-z]$/.test(end)) || (/^[A-Z]$/.test(start) && /^[A-Z]$/.test(end))) {
    const [from, to] = [start.charCodeAt(0), end.charCodeAt(0)];
    if (from > to) throw new Error(`host range ${pattern}: expected the start (${start}) not to come after the end (${end})`);
    const values: string[] = [];
    for (let c = from; c <= to; c += step) values.push(String.fromCharCode(c));
    return values;
  }
  throw new Error(expected);
}
