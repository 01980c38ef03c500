import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Where a `gossfile` entry points: a path or a glob (goss's filepath.Match syntax: *, ?, [a-z],
 * [^a-z]), relative to the file that includes it. Files only, sorted, as Go's Glob returns them.
 */

/** How deep includes may nest: far beyond any real layout, short of a runaway chain of generated files. */
export const MAX_INCLUDE_DEPTH = 16;

const GLOB_CHARS = /[*?[]/;

/** The files the pattern names, or why it names none. */
export function includedFiles(pattern: string, includingFile: string): string[] | string {
  const absolute = isAbsolute(pattern) ? pattern : join(dirname(resolve(includingFile)), pattern);
  if (!GLOB_CHARS.test(pattern)) {
    if (!existsSync(absolute)) return `expected a goss file to include, ${absolute} does not exist`;
    return statSync(absolute).isFile() ? [absolute] : `expected a goss file to include, ${absolute} is not a file`;
  }
  let files: string[];
  try {
    files = expand(absolute).filter((file) => statSync(file).isFile());
  } catch (error) {
    if (error instanceof SyntaxError) return `expected a glob pattern (*, ?, [a-z]), ${JSON.stringify(pattern)} is not one`;
    throw error;
  }
  // goss would include nothing and say nothing; a pattern that matches no file is almost always a mistake.
  return files.length > 0 ? files : `expected the pattern to match goss files to include, it matches none (${absolute})`;
}

function expand(pattern: string): string[] {
  const segments = pattern.split(sep).filter((s) => s !== '');
  let places: string[] = [sep];
  for (const segment of segments) {
    if (!GLOB_CHARS.test(segment)) {
      places = places.map((place) => join(place, segment)).filter((place) => existsSync(place));
      continue;
    }
    const matcher = globSegment(segment);
    places = places.flatMap((place) => {
      if (!statSync(place).isDirectory()) return [];
      return readdirSync(place)
        .filter((name) => matcher.test(name))
        .sort()
        .map((name) => join(place, name));
    });
  }
  return places;
}

/** One path segment of a Go glob as a regular expression. */
export function globSegment(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '\\' && i + 1 < segment.length) source += escape(segment[++i] as string);
    else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      const body = segment.slice(i + 1, close);
      source += `[${body.startsWith('^') ? `^${body.slice(1).replace(/[\\\]]/g, '\\$&')}` : body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else source += escape(c);
  }
  return new RegExp(`^${source}$`, 'u');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
