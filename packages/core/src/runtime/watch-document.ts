// Every process on a shared store learns of a document's change within seconds: a version poll
// (one indexed read per interval), so it works on every store and behind any pooler.
import type { DocumentRecord, Store } from '../stores/store.ts';

export interface WatchDocumentOptions {
  /** Real ms between reads. Default 2000. */
  intervalMs?: number;
  /** Also call `onChange` with the document as it is when the watch starts (if there is one). */
  initial?: boolean;
  /** A read or an `onChange` failed; the watch carries on. Default: ignored. */
  onError?(error: unknown): void;
}

export interface DocumentWatch {
  /** Reads now (instead of waiting for the interval); resolves once `onChange` has run. */
  check(): Promise<void>;
  close(): void;
}

/**
 * Calls `onChange` when the document `(kind, id)` is written or deleted (`undefined`) by any
 * process on the store. Calls never overlap; a change made while `onChange` runs is seen next.
 *
 * @example
 * const watch = watchDocument(store, 'rules', 'current', async (doc) => {
 *   if (doc) await applyRulesVersion((doc.value as { version: string }).version);
 * });
 */
export function watchDocument<T = unknown>(
  store: Pick<Store, 'documents'>,
  kind: string,
  id: string,
  onChange: (doc: DocumentRecord<T> | undefined) => void | Promise<void>,
  options: WatchDocumentOptions = {},
): DocumentWatch {
  let seen: number | undefined; // 0 = absent
  let closed = false;
  let running: Promise<void> | undefined;

  async function read(): Promise<void> {
    const doc = await store.documents.get<T>(kind, id);
    const version = doc?.version ?? 0;
    if (version === seen) return;
    const first = seen === undefined;
    // Marked seen only once handled: a failed onChange is tried again at the next read.
    if (!closed && !(first && (!options.initial || !doc))) await onChange(doc);
    seen = version;
  }

  const check = (): Promise<void> => {
    if (closed) return Promise.resolve();
    running ??= read()
      .catch((e: unknown) => options.onError?.(e))
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  void check();
  const timer = setInterval(() => void check(), options.intervalMs ?? 2000);
  timer.unref();
  return {
    check,
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
