import { statSync } from 'node:fs';

export function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    // throwIfNoEntry covers ENOENT only: a NUL byte in the path (a TypeError), ENAMETOOLONG,
    // ENOTDIR (a/b where a is a file) or EACCES still throw, and each means "not a file to use".
    return false;
  }
}
