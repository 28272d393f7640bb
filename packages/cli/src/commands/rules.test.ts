import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClosedLoop, sqliteStore } from '@closedloop/core';
import { createRulesDecider } from '@closedloop/rules';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { type RulesIo, registerRulesCommands } from './rules.ts';

const examples = join(import.meta.dirname, '../../../../examples/rules');

async function run(...args: string[]): Promise<{ out: string; err: string; exitCode: number | undefined }> {
  let out = '';
  let err = '';
  const io: RulesIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    progress: true,
  };
  const program = new Command('closedloop').exitOverride();
  registerRulesCommands(program, io);
  process.exitCode = undefined;
  await program.parseAsync(['node', 'closedloop', 'rules', ...args]);
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strip colours for assertions
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  return { out: plain(out), err: plain(err), exitCode };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('closedloop rules', () => {
  it('validate passes the example rule set', async () => {
    const r = await run('validate', join(examples, 'cx-program'));
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('route.json: 6 rule(s)');
    expect(r.out).toContain('Valid: rule set 2026-11-01');
  });

  it('validate checks a single rule file too', async () => {
    const r = await run('validate', join(examples, 'cx-program', 'alert.json'));
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('alert.json: 4 rule(s)');
  });

  it('validate fails with file, line, column and hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    writeFileSync(
      join(dir, 'route.json'),
      '{\n  "kind": "route",\n  "rules": [\n    { "id": "a", "conditions": { "all": [{ "fact": "nsp", "operator": "equal", "value": 1 }] },\n      "event": { "type": "openCase", "params": { "priority": "high" } } }\n  ]\n}\n',
    );
    const r = await run('validate', dir);
    expect(r.exitCode).toBe(1);
    expect(r.out).toContain(`${join(dir, 'route.json')}:4:44 Unknown fact "nsp"`);
    expect(r.out).toContain('hint: did you mean "nps"?');
  });

  it('test runs the fixtures and passes', async () => {
    const r = await run('test', join(examples, 'cx-program'));
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('✔ an Italian detractor gets a medium case in its segment');
    expect(r.out).toMatch(/all passed: \d+ passed, 0 failed/);
  });

  it('test runs every rule set in a folder of rule sets', async () => {
    const r = await run('test', examples);
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain(join(examples, 'cx-program'));
    expect(r.out).toContain(join(examples, 'cx-program-next'));
    expect(r.out.match(/all passed/g)).toHaveLength(2);
  });

  it('test fails when a fixture expects something else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    writeFileSync(
      join(dir, 'alert.json'),
      JSON.stringify({
        kind: 'alert',
        rules: [
          {
            id: 'low',
            conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 3 }] },
            event: { type: 'alert', params: { channel: 'slack', template: 'low' } },
          },
        ],
      }),
    );
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'fixtures'));
    writeFileSync(
      join(dir, 'fixtures', 'f.json'),
      JSON.stringify({
        cases: [{ name: 'nine alerts', feedback: { nps: 9 }, expect: { firedRules: ['low'] } }],
      }),
    );
    const r = await run('test', dir);
    expect(r.exitCode).toBe(1);
    expect(r.out).toContain('✘ nine alerts');
    expect(r.out).toContain('firedRules: expected ["low"], got []');
  });

  it('explain shows why rules fired for one feedback', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    const facts = join(dir, 'feedback.json');
    writeFileSync(
      facts,
      JSON.stringify({ nps: 2, comment: 'La fattura', customer: { email: 'a@example.it', segment: 'it' } }),
    );
    const r = await run(
      'explain',
      join(examples, 'cx-program'),
      '--facts',
      facts,
      '--segments',
      join(examples, 'segments.json'),
      '--now',
      '2026-11-20T10:00:00Z',
    );
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('✔ fired: red-flag-score (Very low score), priority 1 -> flag {"flag":"red"}');
    expect(r.out).toContain('✔ nps lessThanInclusive 3 (fact was 2)');
    expect(r.out).toContain('"priority": "high"');
  });

  it('explain --kind evaluates one file over raw facts, as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    const facts = join(dir, 'facts.json');
    writeFileSync(facts, JSON.stringify({ flags: ['red'] }));
    const r = await run(
      'explain',
      join(examples, 'cx-program'),
      '--facts',
      facts,
      '--kind',
      'alert',
      '--json',
    );
    expect(JSON.parse(r.out).fired).toEqual(['red-flag-alert']);
  });

  it('backtest reports what the new rules change, with a progress bar', async () => {
    const r = await run(
      'backtest',
      '--old',
      join(examples, 'cx-program'),
      '--new',
      join(examples, 'cx-program-next'),
      '--feedback',
      join(examples, 'sample-feedback.csv'),
      '--segments',
      join(examples, 'segments.json'),
    );
    expect(r.exitCode).toBeUndefined();
    expect(r.err).toContain('100% 8/8');
    expect(r.out).toMatch(/over 8 feedback: [1-9]\d* decision\(s\) would change/);
    expect(r.out).toContain('priority:');
  });

  it('apply re-prioritises open cases of a store under the new rules, logged on each case', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-apply-'));
    const store = join(dir, 'closedloop.sqlite');
    const segments = JSON.parse(readFileSync(join(examples, 'segments.json'), 'utf8'));
    const people = ['cx-director', 'emea-lead', 'ana', 'luis', 'giulia', 'piotr'].map((id) => ({
      id,
      name: id,
      email: `${id}@example.com`,
    }));
    writeFileSync(join(dir, 'people.json'), JSON.stringify(people));
    const before = createClosedLoop({
      store: sqliteStore({ path: store }),
      decider: createRulesDecider(join(examples, 'cx-program')),
      directory: people,
      segments,
      autoStart: false,
    });
    const captured = await before.capture({
      source: { tool: 't', responseId: '1' },
      customer: { email: 'jan@example.pl', segment: 'pl' },
      nps: 2,
    });
    await before.capture({
      source: { tool: 't', responseId: '2' },
      customer: { email: 'ola@example.pl', segment: 'pl' },
      nps: 9,
    });
    await before.close();
    expect(captured.case?.priority).toBe('high');

    const dry = await run(
      'apply',
      '--rules',
      join(examples, 'cx-program-next'),
      '--store',
      store,
      '--segments',
      join(examples, 'segments.json'),
      '--directory',
      join(dir, 'people.json'),
      '--dry-run',
    );
    expect(dry.out).toContain(`would change ${captured.case!.id}: priority high -> critical`);

    expect(dry.err).toContain('--store, --segments and --directory are deprecated: pass --config <file>');

    // The config names the store, people and segments (PostgreSQL works the same way).
    const configFile = join(dir, 'closedloop.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({ store: store, directory: 'people.json', segments: join(examples, 'segments.json') }),
    );
    const r = await run(
      'apply',
      '--config',
      configFile,
      '--rules',
      join(examples, 'cx-program-next'),
      '--actor',
      'cx-director',
    );
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('1 open case(s) checked');
    expect(r.out).toContain('1 change(s), 1 applied');

    const after = sqliteStore({ path: store });
    await after.init();
    const c = await after.getCase(captured.case!.id);
    await after.close();
    expect(c?.priority).toBe('critical');
    expect(c?.audit.at(-1)).toMatchObject({ actor: 'cx-director', before: 'high', after: 'critical' });
    expect(JSON.stringify(c?.audit.at(-1))).toContain('detractor-red-flag');
  });

  it('reports a missing directory as a failure', async () => {
    const r = await run('validate', join(tmpdir(), 'does-not-exist-rules'));
    expect(r.exitCode).toBe(1);
  });

  it('explain names the field and the problem of invalid feedback', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    const facts = join(dir, 'feedback.json');
    writeFileSync(facts, JSON.stringify({ nps: 12, customer: { email: 'a@example.it' } }));
    const r = await run(
      'explain',
      join(examples, 'cx-program'),
      '--facts',
      facts,
      '--segments',
      join(examples, 'segments.json'),
    );
    expect(r.exitCode).toBe(1);
    expect(r.err).toContain('is not valid feedback');
    expect(r.err).toMatch(/✘ nps: .+/);
    expect(r.out + r.err).not.toContain('undefined');
  });

  it('explain marks a rule whose event lost to an earlier rule as shadowed, not fired', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    const facts = join(dir, 'feedback.json');
    writeFileSync(
      facts,
      JSON.stringify({ nps: 1, comment: 'terrible', customer: { email: 'a@example.it', segment: 'it' } }),
    );
    const r = await run(
      'explain',
      join(examples, 'cx-program'),
      '--facts',
      facts,
      '--segments',
      join(examples, 'segments.json'),
      '--json',
    );
    const out = JSON.parse(r.out);
    const route = out.traces.route as { ruleId: string; fired: boolean; shadowedBy?: string }[];
    expect(route.find((t) => t.ruleId === 'detractor-case')).toMatchObject({
      shadowedBy: 'detractor-red-flag',
    });
    expect(out.decision.firedRules).not.toContain('detractor-case');
    const text = await run(
      'explain',
      join(examples, 'cx-program'),
      '--facts',
      facts,
      '--segments',
      join(examples, 'segments.json'),
    );
    expect(text.out).toContain('⊘ shadowed: detractor-case');
    expect(text.out).not.toContain('✔ fired: detractor-case');
  });

  it('explain without --segments warns, and --config reads the segments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    const facts = join(dir, 'feedback.json');
    writeFileSync(
      facts,
      JSON.stringify({ nps: 5, customer: { email: 'a@example.es', segment: 'es-madrid' } }),
    );
    const bare = await run('explain', join(examples, 'cx-program'), '--facts', facts, '--json');
    expect(bare.err).toContain('warning: no --segments or --config');
    const segments = JSON.parse(readFileSync(join(examples, 'segments.json'), 'utf8')) as {
      managers: string[];
    }[];
    const ids = [...new Set(segments.flatMap((s) => s.managers))];
    const config = join(dir, 'closedloop.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: ':memory:',
        segments,
        directory: ids.map((id) => ({ id, name: id, email: `${id}@example.com` })),
      }),
    );
    const withConfig = await run(
      'explain',
      join(examples, 'cx-program'),
      '--facts',
      facts,
      '--config',
      config,
      '--json',
    );
    expect(withConfig.err).toBe('');
    // The Spanish pool rule (inSegmentSubtree "es") fires only with the real tree.
    expect(JSON.parse(withConfig.out).decision.firedRules).toContain('detractor-spain-pool');
    expect(JSON.parse(bare.out).decision.firedRules).not.toContain('detractor-spain-pool');
  });

  it('backtest shows the versions the files declare, and no owner change when both leave it to capture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    const rule = (owner?: string) => ({
      kind: 'route',
      version: owner ? 'with-owner' : 'no-owner',
      rules: [
        {
          id: 'detractor',
          conditions: { all: [{ fact: 'nps', operator: 'npsCategory', value: 'detractor' }] },
          event: { type: 'openCase', params: { priority: 'medium', ...(owner ? { owner } : {}) } },
        },
      ],
    });
    for (const [name, owner] of [
      ['old', 'ana'],
      ['new', undefined],
    ] as const) {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'route.json'), JSON.stringify(rule(owner)));
    }
    const feedback = join(dir, 'feedback.json');
    writeFileSync(
      feedback,
      JSON.stringify([
        {
          id: 'f1',
          source: { tool: 't', responseId: '1' },
          receivedAt: '2026-11-01T10:00:00Z',
          nps: 2,
          customer: { email: 'x@example.com', segment: 'es' },
        },
      ]),
    );
    const r = await run(
      'backtest',
      '--old',
      join(dir, 'old'),
      '--new',
      join(dir, 'new'),
      '--feedback',
      feedback,
      '--segments',
      join(examples, 'segments.json'),
    );
    expect(r.out).toContain('Backtest with-owner -> no-owner over 1 feedback: 0 decision(s) would change.');
    expect(r.out).not.toContain('owner:');
  });

  it('validate checks thank-you templates and email alert recipients against what exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    writeFileSync(
      join(dir, 'route.json'),
      JSON.stringify({
        kind: 'route',
        rules: [
          {
            id: 'thanks',
            conditions: { all: [{ fact: 'nps', operator: 'npsCategory', value: 'promoter' }] },
            event: { type: 'thankCustomer', params: { template: 'thank-you' } },
          },
        ],
      }),
    );
    const r = await run('validate', dir);
    expect(r.exitCode).toBe(1);
    expect(r.out).toContain('template "thank-you", which does not exist');
    expect(r.out).toContain('did you mean "thankYou"?');
    // The example rule set names people that its README's directory has.
    expect((await run('validate', join(examples, 'cx-program'))).exitCode).toBeUndefined();
  });

  it('says how to wrap a bare json-rules-engine rule list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-cli-'));
    writeFileSync(
      join(dir, 'route.json'),
      JSON.stringify([
        {
          conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 7 }] },
          event: { type: 'openCase' },
        },
      ]),
    );
    const r = await run('validate', dir);
    expect(r.exitCode).toBe(1);
    expect(r.out).toContain('bare json-rules-engine rule list');
    expect(r.out).toContain('closedloop rules import-jre');
  });
});
