import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importJreCommand, pullCommand, pushCommand } from './rules-versions.ts';

function io() {
  const lines: string[] = [];
  return {
    lines,
    io: { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t), progress: false },
  };
}

const jreRules = [
  {
    name: 'Unhappy customers',
    conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 7 }] },
    event: { type: 'openCase', params: { priority: 'medium' } },
    onSuccess: 'ignored',
  },
  {
    conditions: { any: [{ fact: 'nps', operator: 'greaterThan', value: 8 }] },
    event: { type: 'thankCustomer', params: { template: 'thankYou' } },
  },
];

describe('closedloop rules import-jre / push / pull', () => {
  it('wraps a bare json-rules-engine list into a valid rule file with ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jre-'));
    writeFileSync(join(dir, 'jre.json'), JSON.stringify(jreRules));
    const out = join(dir, 'route.json');
    const { io: sink, lines } = io();
    expect(importJreCommand(join(dir, 'jre.json'), { kind: 'route', out }, sink)).toBe(true);
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file.kind).toBe('route');
    expect(file.rules.map((r: { id: string }) => r.id)).toEqual(['unhappy-customers', 'rule-2']);
    expect(file.rules[0].onSuccess).toBeUndefined();
    expect(lines.join('')).toContain('wrapped 2 rule(s)');
  });

  it('wraps a single rule object too, and refuses an unknown kind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jre-'));
    writeFileSync(join(dir, 'one.json'), JSON.stringify(jreRules[0]));
    const { io: sink, lines } = io();
    expect(importJreCommand(join(dir, 'one.json'), { kind: 'route' }, sink)).toBe(true);
    expect(JSON.parse(lines[0]!).rules).toHaveLength(1);
    expect(importJreCommand(join(dir, 'one.json'), { kind: 'routes' }, sink)).toBe(false);
    expect(lines.join('')).toContain('--kind must be one of');
  });

  it('pushes a folder to a SQLite store and pulls it back, fixtures included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'push-'));
    const config = join(dir, 'closedloop.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: join(dir, 'data.sqlite'),
        directory: [{ id: 'sara', name: 'Sara', email: 'sara@example.com' }],
        segments: [{ id: 'spain', name: 'Spain', managers: ['sara'] }],
      }),
    );
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'rules', 'fixtures'), { recursive: true });
    const route = {
      kind: 'route',
      version: '2026-12-01',
      rules: [{ id: 'unhappy', conditions: jreRules[0]!.conditions, event: jreRules[0]!.event }],
    };
    writeFileSync(join(dir, 'rules', 'route.json'), JSON.stringify(route));
    writeFileSync(join(dir, 'rules', 'fixtures', 'basic.json'), JSON.stringify({ cases: [] }));
    const { io: sink, lines } = io();
    expect(await pushCommand(join(dir, 'rules'), { config, comment: 'first' }, sink)).toBe(true);
    expect(lines.join('')).toContain('published v1');
    expect(await pullCommand(join(dir, 'pulled'), { config }, sink)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'pulled', 'route.json'), 'utf8'))).toEqual(route);
    expect(JSON.parse(readFileSync(join(dir, 'pulled', 'fixtures', 'basic.json'), 'utf8'))).toEqual({
      cases: [],
    });
    expect(await pullCommand(join(dir, 'x'), { config, version: 'v7' }, sink)).toBe(false);
    expect(lines.join('')).toContain('no rules version "v7"');
  });
});
