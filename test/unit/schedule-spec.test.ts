import { describe, expect, it } from 'vitest';
import { InputError } from '../../lab/config/validation.ts';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';

const common = { name: 'web-monthly', images: ['web', 'db'], patch: 'security' };
const patchTuesday = { ...common, kind: 'patch-tuesday', offsetDays: 1, at: '03:00', timeZone: 'Europe/Berlin' };
const cron = { ...common, kind: 'cron', expression: '0 3 * * 2#2', timeZone: 'America/New_York' };

function problems(input: unknown): string[] {
  try {
    parseScheduleSpec(input, 'schedules.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe('schedules.yaml');
    return [...(error as InputError).problems];
  }
  throw new Error('expected the spec to be rejected');
}

describe('schedule spec', () => {
  it('accepts both kinds, with an optional webhook', () => {
    expect(parseScheduleSpec(patchTuesday)).toEqual(patchTuesday);
    const withHook = { ...cron, webhook: 'https://hooks.example.com/patchlab' };
    expect(parseScheduleSpec(withHook)).toEqual(withHook);
    expect(parseScheduleSpec({ ...cron, expression: '@weekly', patch: 'openssl=3.0.15-1~deb12u1, libc6' }).kind).toBe('cron');
  });

  it('names the field and what it expected', () => {
    expect(problems({ ...patchTuesday, offsetDays: 28, at: '24:00', timeZone: 'Mars/Olympus' })).toEqual([
      'offsetDays: expected at most 27 days: the next Patch Tuesday is 28 days later at the earliest',
      'at: expected a 24-hour wall-clock time HH:MM, such as 03:00',
      'timeZone: expected an IANA time zone such as Europe/Berlin or UTC, got "Mars/Olympus"',
    ]);
    expect(problems({ ...patchTuesday, offsetDays: -1 })).toEqual([
      "offsetDays: expected a whole number of days from 0 to 27: runs before Patch Tuesday would test last month's patches",
    ]);
    expect(problems({ ...patchTuesday, offsetDays: 1.5, at: '3:00' })).toEqual([
      'offsetDays: expected a whole number of days from 0 to 27',
      'at: expected a 24-hour wall-clock time HH:MM, such as 03:00',
    ]);
    expect(problems({ ...cron, kind: 'weekly' })).toEqual(['kind: expected kind "patch-tuesday" or "cron"']);
    expect(problems({ ...cron, images: [], patch: 'rm -rf /', webhook: 'ftp://example.com' })).toEqual([
      'images: expected at least one image name',
      'patch: expected "security", "all", Debian package names (optionally name=version) or .deb files, comma separated',
      'webhook: expected an http or https URL',
    ]);
    expect(problems({ ...cron, name: 'Web Monthly' })[0]).toMatch(/^name: expected a lower-case name/);
    expect(problems({ ...patchTuesday, expression: '* * * * *' })).toEqual(['(top level): Unrecognized key: "expression"']);
  });

  it('lets croner judge cron expressions: five fields, valid values, and some date that matches', () => {
    expect(problems({ ...cron, expression: '61 * * * *' })).toEqual([
      'expression: expected a five-field cron expression such as "0 3 * * 2" (or six, seconds first): Invalid value for minute: 61',
    ]);
    expect(parseScheduleSpec({ ...cron, expression: '0 0 3 * * *' }).kind).toBe('cron');
    expect(problems({ ...cron, expression: '0 0 0 3 * * *' })[0]).toMatch(/^expression: expected a five-field cron expression .* has 7 parts/);
    expect(problems({ ...cron, expression: '0 3 31 2 *' })).toEqual([
      'expression: expected a cron expression that matches some date, "0 3 31 2 *" never does',
    ]);
  });
});
