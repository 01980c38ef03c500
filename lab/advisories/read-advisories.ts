import { basename } from 'node:path';
import { buildAdvisory, NO_CHANGELOG, type SourceAdvisory, type UpdatedBinary } from './advisory.ts';
import { parseChangelog, type ParsedChangelog } from './changelog.ts';
import { readDebIdentity, readDocChangelog, type DebIdentity } from './deb-changelog.ts';

/**
 * Advisories for pending updates, read from the .debs themselves, grouped by source package.
 * `locate` finds (or fetches) the .deb of a package version on this machine.
 */
export type LocateDeb = (name: string, version: string) => Promise<string | undefined>;

interface Located {
  update: UpdatedBinary;
  file: string;
  identity: DebIdentity;
}

export async function readAdvisories(updates: readonly UpdatedBinary[], locate: LocateDeb, concurrency = 2): Promise<SourceAdvisory[]> {
  const missing: UpdatedBinary[] = [];
  const unreadable: { update: UpdatedBinary; why: string }[] = [];
  const located: Located[] = [];
  await inBatches(updates, concurrency, async (update) => {
    const file = await locate(update.name, update.candidate);
    if (!file) return void missing.push(update);
    try {
      located.push({ update, file, identity: await readDebIdentity(file) });
    } catch (error) {
      unreadable.push({ update, why: (error as Error).message });
    }
  });
  const bySource = new Map<string, Located[]>();
  for (const l of located) bySource.set(l.identity.source, [...(bySource.get(l.identity.source) ?? []), l]);
  const advisories: SourceAdvisory[] = [];
  await inBatches([...bySource], concurrency, async ([source, members]) => {
    const { changelog, notes } = await changelogOf(source, members, locate);
    advisories.push(buildAdvisory({ source, binaries: members.map((m) => m.update), ...(changelog ? { changelog } : {}), notes }));
  });
  // The source of a package that is not cached is unknown: it stands as its own group, and says why.
  for (const m of missing) advisories.push(buildAdvisory({ source: m.name, binaries: [m], notes: [`${m.name} ${m.candidate} is not in the package cache`] }));
  for (const u of unreadable) advisories.push(buildAdvisory({ source: u.update.name, binaries: [u.update], notes: [u.why] }));
  return advisories.sort((a, b) => a.source.localeCompare(b.source));
}

/** The source's changelog from the first binary that carries it, following a linked doc folder once. */
async function changelogOf(
  source: string,
  members: readonly Located[],
  locate: LocateDeb,
): Promise<{ changelog?: { parsed: ParsedChangelog; from: string }; notes: string[] }> {
  const notes: string[] = [];
  // The binary named like its source most often holds the doc folder the others link to.
  const ordered = [...members].sort((a, b) => Number(b.identity.package === source) - Number(a.identity.package === source));
  for (const m of ordered) {
    try {
      let doc = await readDocChangelog(m.file, m.identity.package);
      let file = m.file;
      if (doc.kind === 'linked') {
        const target = doc.toPackage;
        const other = (await locate(target, m.identity.version)) ?? (await locate(target, m.identity.sourceVersion));
        if (!other) {
          notes.push(`${m.identity.package}'s doc folder links to ${target}, whose ${m.identity.version} is not in the package cache`);
          continue;
        }
        doc = await readDocChangelog(other, target);
        file = other;
      }
      if (doc.kind === 'changelog') {
        const where = `${basename(file)}:${doc.path}`;
        return { changelog: { parsed: parseChangelog(doc.text, where), from: where }, notes };
      }
    } catch (error) {
      // The message names the file already.
      notes.push((error as Error).message);
    }
  }
  return { notes: notes.length > 0 ? notes : [NO_CHANGELOG] };
}

async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
}
