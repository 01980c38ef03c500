/** Go-style inline flags ((?i) and the like) become JavaScript flags; m is always on, as patterns anchor at lines. */
export function compileRegex(source: string): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(source);
  const flags = new Set(['m', ...(inline?.[1] ?? '')]);
  return new RegExp(inline ? source.slice(inline[0].length) : source, [...flags].join(''));
}
