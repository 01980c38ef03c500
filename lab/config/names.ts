import { z } from 'zod';

/** Debian policy 5.6.1: lower case letters, digits, + - . ; at least two characters, starting alphanumeric. */
export const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
/** Debian policy 5.6.12: [epoch:]upstream[-revision]. */
export const DEBIAN_VERSION = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$/;

export const packageName = z
  .string()
  .regex(DEBIAN_PACKAGE, 'expected a Debian package name (lower case letters, digits, "+", "-", "."; no spaces or shell characters)');

export const packageVersion = z
  .string()
  .regex(DEBIAN_VERSION, 'expected a Debian version such as 1.2.3-1 or 1:2.0-3+deb12u1');

export function assertPackageName(name: string, where: string): string {
  if (!DEBIAN_PACKAGE.test(name)) {
    throw new Error(
      `${where}: ${JSON.stringify(name)} is not a Debian package name (expected lower case letters, digits, "+", "-", ".")`,
    );
  }
  return name;
}
