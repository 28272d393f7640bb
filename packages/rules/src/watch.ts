import { type FSWatcher, watch } from 'node:fs';
import type { RuleIssue } from './errors.ts';
import { RulesError } from './errors.ts';
import { checkRuleTexts, readRuleTexts } from './load.ts';
import type { RuleSet } from './types.ts';
import type { ValidateOptions } from './validate.ts';

export interface WatchOptions extends Omit<ValidateOptions, 'fileName'> {
  /** Called when a changed file is invalid; the running rules stay in place. */
  onError?: (errors: readonly RuleIssue[]) => void;
  /** Wait this long after the last change before reloading (editors write in bursts). Default 100 ms. */
  debounceMs?: number;
}

/**
 * Watches a rule directory: on each change the files are validated and, only if all are valid,
 * `onChange` receives the new rule set (swap it in with `decider.swap`). An invalid change leaves
 * the running rules in place and reports why through `onError`.
 *
 * @example
 * const decider = createRulesDecider('rules');
 * const watcher = watchRules('rules', (ruleSet) => decider.swap(ruleSet), {
 *   onError: (errors) => log.warn({ errors }, 'rules not reloaded'),
 * });
 * // later: watcher.close();
 */
export function watchRules(
  dir: string,
  onChange: (ruleSet: RuleSet) => void,
  options: WatchOptions = {},
): { close(): void; reload(): boolean } {
  let timer: NodeJS.Timeout | undefined;
  let lastVersion: string | undefined;
  const reload = (): boolean => {
    let errors: readonly RuleIssue[];
    try {
      const check = checkRuleTexts(readRuleTexts(dir), options);
      if (check.ok) {
        if (check.ruleSet.version !== lastVersion) {
          lastVersion = check.ruleSet.version;
          onChange(check.ruleSet);
        }
        return true;
      }
      errors = check.errors;
    } catch (e) {
      errors = [
        {
          pointer: '',
          line: 1,
          column: 1,
          message: (e as Error).message,
          hint: e instanceof RulesError ? 'restore the rule directory' : 'check the rule files',
        },
      ];
    }
    options.onError?.(errors);
    return false;
  };
  const watcher: FSWatcher = watch(dir, () => {
    clearTimeout(timer);
    timer = setTimeout(reload, options.debounceMs ?? 100);
  });
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
