import pc from 'picocolors';

/** Renders rows as an aligned text table; numbers align right. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => visible(r[i] ?? '').length)));
  const line = (r: string[], isHeader: boolean) =>
    r
      .map((c, i) => {
        const numeric = !isHeader && typeof rows[0]?.[i] === 'number';
        const pad = ' '.repeat(widths[i]! - visible(c).length);
        return numeric ? pad + c : c + pad;
      })
      .join('  ');
  return [pc.bold(line(headers, true)), ...cells.slice(1).map((r) => line(r, false))]
    .map((l) => `  ${l}`)
    .join('\n');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes to measure width
const ANSI = /\u001b\[[0-9;]*m/g;
function visible(s: string): string {
  return s.replace(ANSI, '');
}

export function heading(text: string): string {
  return `\n${pc.bold(pc.cyan(text))}`;
}

export function npsColour(nps: number): string {
  const s = `${nps > 0 ? '+' : ''}${nps.toFixed(0)}`;
  return nps >= 30 ? pc.green(s) : nps >= 0 ? pc.yellow(s) : pc.red(s);
}
