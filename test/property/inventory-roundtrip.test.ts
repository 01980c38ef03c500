import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandHostPattern } from '../../lab/inventory/host-range.ts';
import { parseInventory } from '../../lab/inventory/load.ts';
import { renderAnsibleYaml, renderIni, type InventoryModel } from '../fixtures/inventory/render.ts';

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/).filter((n) => n !== 'all' && n !== 'ungrouped');

const model: fc.Arbitrary<InventoryModel> = fc
  .record({
    groupNames: fc.uniqueArray(name, { minLength: 1, maxLength: 6 }),
    hostNames: fc.uniqueArray(name.map((n) => `h-${n}`), { minLength: 1, maxLength: 8 }),
    seed: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
    labels: fc.array(fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/), { nil: undefined }), { minLength: 6, maxLength: 6 }),
    conn: fc.array(
      fc.record({
        port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        user: fc.option(name, { nil: undefined }),
        become: fc.option(fc.boolean(), { nil: undefined }),
      }),
      { minLength: 8, maxLength: 8 },
    ),
  })
  .map(({ groupNames, hostNames, seed, labels, conn }) => {
    let k = 0;
    const next = () => seed[k++ % seed.length] as number;
    // Children only point to later groups: the generated graph has no cycle.
    const groups = groupNames.map((g, i) => ({
      name: g,
      children: groupNames.slice(i + 1).filter(() => next() % 3 === 0),
      ...(labels[i] !== undefined ? { labelValue: labels[i] } : {}),
    }));
    const hosts = hostNames.map((h, i) => ({ name: h, groups: groupNames.filter(() => next() % 2 === 0), ...strip(conn[i] ?? {}) }));
    return { groups, hosts };
  });

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Every group a host is in, by walking the model's children upwards: the closure, computed independently. */
function closureOf(m: InventoryModel, direct: readonly string[]): Set<string> {
  const found = new Set(direct);
  let grew = true;
  while (grew) {
    grew = false;
    for (const g of m.groups) if (!found.has(g.name) && g.children.some((c) => found.has(c))) found.add(g.name), (grew = true);
  }
  return found;
}

describe('Ansible inventories, generated', () => {
  it('INI and YAML renderings of one inventory read to the same hosts', () => {
    fc.assert(
      fc.property(model, (m) => {
        const ini = parseInventory(renderIni(m), 'gen.ini');
        const yaml = parseInventory(renderAnsibleYaml(m), 'gen.yaml');
        expect(yaml.hosts).toEqual(ini.hosts);
      }),
      { seed: 20261207, numRuns: 200 },
    );
  });

  it('round trip: every host comes back with its own connection variables', () => {
    fc.assert(
      fc.property(model, (m) => {
        const hosts = new Map(parseInventory(renderIni(m), 'gen.ini').hosts.map((h) => [h.name, h]));
        expect([...hosts.keys()].sort()).toEqual(m.hosts.map((h) => h.name).sort());
        for (const h of m.hosts) {
          const read = hosts.get(h.name);
          expect(read?.address).toBe(h.name);
          expect(read?.port).toBe(h.port);
          expect(read?.user).toBe(h.user);
          expect(read?.become).toBe(h.become);
        }
      }),
      { seed: 20261207, numRuns: 200 },
    );
  });

  it('children closure: a host is in every group above its own, labelled group.<name> for each and no other', () => {
    fc.assert(
      fc.property(model, (m) => {
        for (const read of parseInventory(renderIni(m), 'gen.ini').hosts) {
          const own = m.hosts.find((h) => h.name === read.name)?.groups ?? [];
          const closure = closureOf(m, own);
          expect(new Set(read.groups)).toEqual(closure);
          const groupLabels = Object.keys(read.labels).filter((k) => k.startsWith('group.')).map((k) => k.slice(6));
          expect(new Set(groupLabels)).toEqual(closure);
          expect(read.labels.group).toBe(own[0]);
          // A group's variables reach every host below it.
          for (const g of m.groups) if (g.labelValue !== undefined && closure.has(g.name)) expect(read.labels[`from_${g.name}`]).toBe(g.labelValue);
        }
      }),
      { seed: 20261207, numRuns: 200 },
    );
  });

  it('host ranges give end-start+1 names (by the step), of the start\'s width', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), (a, span, step, width) => {
        const [start, end] = [String(a).padStart(width, '0'), String(a + span).padStart(width, '0')];
        if (start.length !== end.length && start.startsWith('0') && start.length > 1) return;
        const names = expandHostPattern(`n[${start}:${end}:${step}]x`);
        expect(names).toHaveLength(Math.floor(span / step) + 1);
        expect(names[0]).toBe(`n${start}x`);
        expect(new Set(names).size).toBe(names.length);
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });
});
