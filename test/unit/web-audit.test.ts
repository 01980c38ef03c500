import { describe, expect, it } from 'vitest';
import { pause, promote } from '../../rollout/engine/commands.ts';
import { auditRows, parseAuditFilter } from '../../web/model/audit-log.ts';
import { auditCsv, csvField } from '../../web/views/audit-csv.ts';
import { auditPage, queryOf } from '../../web/views/audit-page.ts';
import { driveModel } from './web-fixtures.ts';

/* The audit log across rollouts: its filter, its rows and its CSV. */

const soaking = () => driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);

function twoRollouts() {
  const a = soaking();
  const first = { ...pause(a.lab.state, { actor: 'alice', reason: 'INC-1' }, a.lab.now), id: 'rollout-a' };
  const b = soaking();
  const second = { ...promote(b.lab.state, { actor: 'bob', reason: 'fine', ring: 'pilot' }, b.lab.now + 60_000), id: 'rollout-b' };
  return [first, second];
}

describe('audit rows', () => {
  it('merges every rollout\'s log newest first, and filters by rollout, actor, action and time', () => {
    const states = twoRollouts();
    const all = auditRows(states, {});
    expect(all).toHaveLength(states[0]!.audit.length + states[1]!.audit.length);
    expect(all[0]).toMatchObject({ rolloutId: 'rollout-b', actor: 'bob', action: 'promote', ring: 'canary', reasons: ['fine'] });
    expect(all.map((r) => r.at)).toEqual([...all.map((r) => r.at)].sort((x, y) => y - x));
    expect(auditRows(states, { actor: 'alice' }).map((r) => [r.rolloutId, r.action])).toEqual([['rollout-a', 'pause']]);
    expect(auditRows(states, { rollout: 'rollout-a', action: 'patch-hosts' }).every((r) => r.rolloutId === 'rollout-a' && r.action === 'patch-hosts')).toBe(true);
    const promotedAt = all[0]!.at;
    expect(auditRows(states, { from: promotedAt })).toHaveLength(1);
    expect(auditRows(states, { to: promotedAt }).some((r) => r.at >= promotedAt)).toBe(false);
  });

  it('reads times as UTC and says what is wrong with a value', () => {
    expect(parseAuditFilter({ from: '2026-12-07T05:40', to: '', actor: ' alice ' })).toEqual({ filter: { from: Date.UTC(2026, 11, 7, 5, 40), actor: 'alice' } });
    expect(parseAuditFilter({ from: '07/12/2026' })).toEqual({ problems: ['from: expected a UTC time such as 2026-12-07T05:40, got "07/12/2026"'] });
    expect(parseAuditFilter({ actor: ['a', 'b'] })).toEqual({ problems: ['actor: expected one value'] });
    expect(queryOf({ actor: 'alice', from: Date.UTC(2026, 11, 7, 5, 40) })).toBe('?actor=alice&from=2026-12-07T05%3A40');
  });
});

describe('audit CSV', () => {
  it('quotes what needs quoting, doubles quotes, and defuses what a spreadsheet would run', () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines', '=1+1', '-2', '@SUM(A1)', '+x'].map(csvField)).toEqual([
      'plain',
      '"a,b"',
      '"say ""hi"""',
      '"two\nlines"',
      "'=1+1",
      "'-2",
      "'@SUM(A1)",
      "'+x",
    ]);
  });

  it('writes a header and one CRLF-ended line per entry, figures as JSON', () => {
    const csv = auditCsv(auditRows(twoRollouts(), { actor: 'bob' }));
    const [header, line, end] = csv.split('\r\n');
    expect(header).toBe('time,rollout,entry,ring,action,actor,reasons,hosts,figures');
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,rollout-b,\d+,canary,promote,bob,fine,,$/);
    expect(end).toBe('');
  });
});

describe('audit page', () => {
  it('escapes reasons and links each row to its entry on the rollout page', () => {
    const [state] = twoRollouts();
    const hostile = { ...state!, id: 'r/1', audit: [{ ...state!.audit[0]!, reasons: ['<script>alert(1)</script>'] }] };
    const page = auditPage({ rows: auditRows([hostile], {}), filter: {}, rollouts: ['r/1'], actors: ['engine'], actions: ['patch-hosts'] }, { name: 'victor', role: 'viewer', csrfToken: 't' }).value;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('href="/rollouts/r%2F1#audit-0"');
    expect(page).toContain('href="/audit.csv"');
  });
});
