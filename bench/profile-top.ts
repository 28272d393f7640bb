// `node bench/profile-top.ts BEFORE_DIR AFTER_DIR [N]`: the top N frames by self time of the
// .cpuprofile in each folder, side by side, as a Markdown table (used in bench/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

function topSelf(dir: string, n: number): [string, number][] {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`No .cpuprofile in ${dir}`);
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const frames = new Map(p.nodes.map((node) => [node.id, node.callFrame]));
  const byFrame = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const c = frames.get(id)!;
    const source = c.url.replace(/.*\//, '').replace(/-[0-9a-f]{8}\.cjs\.js$/, '');
    const name = `${c.functionName || '(anonymous)'}${source ? ` (${source})` : ''}`;
    byFrame.set(name, (byFrame.get(name) ?? 0) + dt);
  });
  return [...byFrame]
    .filter(([name]) => !/^\((program|idle|root)\)/.test(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, t]) => [name, (100 * t) / total]);
}

const [before, after, count] = process.argv.slice(2);
if (!before || !after) throw new Error('usage: node bench/profile-top.ts BEFORE_DIR AFTER_DIR [N]');
const n = Number(count ?? 12);
const b = topSelf(before, n);
const a = topSelf(after, n);
const rows = ['| # | before: frame (self) | % | after: frame (self) | % |', '|---:|---|---:|---|---:|'];
for (let i = 0; i < n; i++) {
  rows.push(
    `| ${i + 1} | \`${b[i]?.[0]}\` | ${b[i]?.[1].toFixed(1)} | \`${a[i]?.[0]}\` | ${a[i]?.[1].toFixed(1)} |`,
  );
}
process.stdout.write(`${rows.join('\n')}\n`);
