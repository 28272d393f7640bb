import type { DocumentStore } from '@closedloop/core';
import { ClosedLoopError } from '@closedloop/core';
import type { RuleFiles } from './files.ts';

/** The document kinds rule versions live under in `store.documents`. */
export const RULES_DOCUMENT = { current: 'rules', version: 'rules.version' } as const;

/** One published version of the rules. */
export interface RuleVersion {
  version: string;
  files: RuleFiles;
  publishedAt: string;
  publishedBy: string;
  comment: string;
  /** Set when this version re-published an older one (a rollback). */
  rollbackOf?: string;
}

/** A version without its files, for lists. */
export type RuleVersionSummary = Omit<RuleVersion, 'files'> & { current: boolean };

type Stored = Omit<RuleVersion, 'version'>;

const number = (version: string) => Number(version.slice(1));

/**
 * Published rule versions in a store's documents: kind `rules` id `current` → `{ version }`, kind
 * `rules.version` id `v<n>` → `{ files, publishedAt, publishedBy, comment }`. Every process on the
 * same store sees the same versions; publishing is a compare-and-set, so two publishers never
 * both win the same version number.
 *
 * @example
 * const versions = ruleVersions(store.documents);
 * const v = await versions.publish({ files, by: 'ana', comment: 'Spain pool' });
 */
export function ruleVersions(documents: DocumentStore) {
  async function current(): Promise<RuleVersion | undefined> {
    const pointer = await documents.get<{ version: string }>(RULES_DOCUMENT.current, 'current');
    return pointer ? get(pointer.value.version) : undefined;
  }
  async function get(version: string): Promise<RuleVersion | undefined> {
    if (!/^v\d{1,9}$/.test(version)) return undefined;
    const doc = await documents.get<Stored>(RULES_DOCUMENT.version, version);
    return doc ? { version, ...doc.value } : undefined;
  }
  async function list(): Promise<RuleVersionSummary[]> {
    const pointer = await documents.get<{ version: string }>(RULES_DOCUMENT.current, 'current');
    const docs = await documents.list<Stored>(RULES_DOCUMENT.version);
    return docs
      .map(({ id, value: { files: _files, ...meta } }) => ({
        version: id,
        ...meta,
        current: id === pointer?.value.version,
      }))
      .sort((a, b) => number(b.version) - number(a.version));
  }
  /** Stores `files` as the next version and makes it current; returns the version. */
  async function publish(input: {
    files: RuleFiles;
    by: string;
    comment: string;
    rollbackOf?: string;
    now?: Date;
  }): Promise<RuleVersion> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const existing = await documents.list(RULES_DOCUMENT.version);
      const next = `v${existing.reduce((max, d) => Math.max(max, number(d.id) || 0), 0) + 1}`;
      const value: Stored = {
        files: input.files,
        publishedAt: (input.now ?? new Date()).toISOString(),
        publishedBy: input.by,
        comment: input.comment,
        ...(input.rollbackOf ? { rollbackOf: input.rollbackOf } : {}),
      };
      try {
        await documents.put(RULES_DOCUMENT.version, next, value, { expectedVersion: 0 });
      } catch (e) {
        if (e instanceof ClosedLoopError && e.code === 'CONFLICT') continue;
        throw e;
      }
      await pointTo(next);
      return { version: next, ...value };
    }
    throw new ClosedLoopError('CONFLICT', 'Rules are being published by someone else right now; try again');
  }
  /** Moves `current` to `version` unless a newer version got there first. */
  async function pointTo(version: string): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const pointer = await documents.get<{ version: string }>(RULES_DOCUMENT.current, 'current');
      if (pointer && number(pointer.value.version) > number(version)) return;
      try {
        await documents.put(
          RULES_DOCUMENT.current,
          'current',
          { version },
          { expectedVersion: pointer?.version ?? 0 },
        );
        return;
      } catch (e) {
        if (!(e instanceof ClosedLoopError && e.code === 'CONFLICT')) throw e;
      }
    }
  }
  return { current, get, list, publish };
}

export type RuleVersions = ReturnType<typeof ruleVersions>;
