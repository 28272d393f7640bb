/**
 * A progress bar for long work (imports, backtests), drawn on a terminal only, redrawn when the
 * whole percentage changes.
 *
 * @example
 * const bar = progressBar((t) => process.stderr.write(t), process.stderr.isTTY === true);
 * for (let i = 0; i < n; i++) { work(i); bar(i + 1, n); }
 */
export function progressBar(
  write: (text: string) => void,
  enabled: boolean,
): (done: number, total: number) => void {
  let lastDrawn = -1;
  return (done, total) => {
    if (!enabled || total <= 0) return;
    const pct = Math.floor((done / total) * 100);
    if (pct === lastDrawn && done !== total) return;
    lastDrawn = pct;
    const width = 30;
    const filled = Math.round((done / total) * width);
    write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}% ${done}/${total}${done === total ? '\n' : ''}`,
    );
  };
}
