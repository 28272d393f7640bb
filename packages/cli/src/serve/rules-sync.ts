// A rule version published by any replica (documents kind `rules`, id `current` → `{ version }`;
// the version's files under kind `rules.version`) reaches this one within seconds: a version poll
// on the shared store, then an atomic swap of the running rules.
import { type DocumentWatch, type Store, watchDocument } from '@closedloop/core';
import { checkRuleTexts, RULE_KINDS, type RulesDecider, type RuleTexts } from '@closedloop/rules';
import type { Logger } from './log.ts';

interface Current {
  version: string;
}
interface PublishedVersion {
  files: Partial<Record<string, unknown>>;
}

/**
 * Keeps `decider` on the published rule version, including one published before this process
 * started (a replica joining later runs what the others run). `initial: false` ignores that one.
 */
export function followPublishedRules(
  store: Store,
  decider: RulesDecider,
  options: { logger: Logger; intervalMs?: number; initial?: boolean },
): DocumentWatch {
  const log = options.logger;
  return watchDocument<Current>(
    store,
    'rules',
    'current',
    async (doc) => {
      const version = doc?.value.version;
      if (!version || version === decider.version) return;
      const published = await store.documents.get<PublishedVersion>('rules.version', version);
      if (!published) {
        log('warn', 'rules not reloaded: the published version is missing', { version });
        return;
      }
      const texts: RuleTexts = {};
      for (const kind of RULE_KINDS) {
        const file = published.value.files[kind];
        if (file !== undefined) texts[kind] = { text: JSON.stringify(file), fileName: `${kind}.json` };
      }
      const check = checkRuleTexts(texts, { version });
      if (!check.ok) {
        log('warn', 'rules not reloaded: the published version does not validate', {
          version,
          errors: check.errors.length,
        });
        return;
      }
      decider.swap(check.ruleSet);
      log('info', 'rules reloaded', { version, source: 'store' });
    },
    {
      intervalMs: options.intervalMs ?? 2000,
      initial: options.initial ?? true,
      onError: (e) =>
        log('warn', 'rules version check failed', { error: e instanceof Error ? e.name : 'error' }),
    },
  );
}
