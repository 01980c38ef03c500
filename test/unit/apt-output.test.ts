import { describe, expect, it } from 'vitest';
import { debFileName, diffVersions, dpkgErrors, parseAptSimulation, parseDpkgQuery, sourceSuite } from '../../lab/patches/apt-output.ts';

// Captured from `apt-get -s dist-upgrade` on the web image, 2026-11-23.
const simulation = `Reading package lists...
Calculating upgrade...
10 upgraded, 1 newly installed, 1 to remove and 0 not upgraded.
Remv libold1 [1.0-1]
Inst perl-base [5.36.0-7+deb12u3] (5.36.0-7+deb12u4 Debian-Security:12/oldstable-security [amd64])
Conf perl-base (5.36.0-7+deb12u4 Debian-Security:12/oldstable-security [amd64])
Inst apt [2.6.1] (2.6.2 Debian:12.13/oldstable, Debian-Security:12/oldstable-security [amd64])
Inst tzdata [2026b-0+deb12u1] (2026f-0+deb12u1 Debian:12-updates/oldstable-updates [all])
Inst nginx-light [1.22.1-9+deb12u9] (1.22.1-9+deb12u11 Debian-Security:12/oldstable-security [all]) []
Inst libnew2 (2.0-1 Debian:12.13/oldstable [amd64])
Inst patchlab-nginx-tuning (1.0-1 local-deb [all])
`;

describe('apt simulation output', () => {
  const plan = parseAptSimulation(simulation);

  it('reads upgrades with their old and new versions, origins and architectures', () => {
    expect(plan.installs[0]).toEqual({
      name: 'perl-base',
      from: '5.36.0-7+deb12u3',
      to: '5.36.0-7+deb12u4',
      origin: 'Debian-Security:12/oldstable-security',
      arch: 'amd64',
    });
    expect(plan.installs.find((i) => i.name === 'nginx-light')?.arch).toBe('all');
  });

  it('reads new packages (no old version), local debs and removals', () => {
    expect(plan.installs.find((i) => i.name === 'libnew2')).toMatchObject({ to: '2.0-1', arch: 'amd64' });
    expect(plan.installs.find((i) => i.name === 'libnew2')?.from).toBeUndefined();
    expect(plan.installs.find((i) => i.name === 'patchlab-nginx-tuning')).toMatchObject({ to: '1.0-1', origin: 'local-deb' });
    expect(plan.removals).toEqual([{ name: 'libold1', version: '1.0-1' }]);
    expect(plan.installs).toHaveLength(6);
  });

  it('tells security, updates and plain suites apart, also when an update is in several', () => {
    const suites = Object.fromEntries(plan.installs.map((i) => [i.name, sourceSuite(i.origin, 'bookworm')]));
    expect(suites).toMatchObject({
      'perl-base': 'bookworm-security',
      apt: 'bookworm-security',
      tzdata: 'bookworm-updates',
      libnew2: 'bookworm',
    });
  });
});

describe('dpkg', () => {
  it('keeps only fully installed packages and drops the architecture qualifier', () => {
    const text = 'libc6:amd64\t2.36-9+deb12u14\tii \nold-conf\t1.0\trc \nbroken\t2.0\tiF \nnginx\t1.22.1-9+deb12u9\tii \n';
    expect([...parseDpkgQuery(text)]).toEqual([
      ['libc6', '2.36-9+deb12u14'],
      ['nginx', '1.22.1-9+deb12u9'],
    ]);
  });

  it('lists upgrades, new and removed packages', () => {
    const before = new Map([['a', '1'], ['b', '1'], ['c', '1']]);
    const after = new Map([['a', '2'], ['b', '1'], ['d', '1']]);
    expect(diffVersions(before, after)).toEqual([
      { name: 'a', before: '1', after: '2' },
      { name: 'c', before: '1' },
      { name: 'd', after: '1' },
    ]);
  });

  it("takes dpkg's own error, with the line that says why, over the list of files it ends with", () => {
    // Captured from dpkg -i on a web host whose /usr/share/doc was full, 2026-11-23.
    const output = `(Reading database ... 6468 files and directories currently installed.)
Preparing to unpack .../tzdata_2026f-0+deb12u1_all.deb ...
Unpacking tzdata (2026f-0+deb12u1) over (2026b-0+deb12u1) ...
dpkg: error processing archive /var/cache/patchlab/archives/tzdata_2026f-0+deb12u1_all.deb (--install):
 cannot copy extracted data for './usr/share/doc/tzdata/README.Debian' to '/usr/share/doc/tzdata/README.Debian.dpkg-new': failed to write (No space left on device)
Errors were encountered while processing:
 /var/cache/patchlab/archives/tzdata_2026f-0+deb12u1_all.deb
`;
    expect(dpkgErrors(output)).toBe(
      'dpkg: error processing archive /var/cache/patchlab/archives/tzdata_2026f-0+deb12u1_all.deb (--install): ' +
        "cannot copy extracted data for './usr/share/doc/tzdata/README.Debian' to '/usr/share/doc/tzdata/README.Debian.dpkg-new': failed to write (No space left on device)",
    );
    expect(dpkgErrors('Setting up tzdata (2026f-0+deb12u1) ...\n')).toBeUndefined();
  });

  it('names downloaded files as apt does, with the epoch escaped', () => {
    expect(debFileName('libnginx-mod-http-echo', '1:0.63-4', 'amd64')).toBe('libnginx-mod-http-echo_1%3a0.63-4_amd64.deb');
  });
});
