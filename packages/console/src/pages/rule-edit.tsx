import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RuleGroupType } from 'react-querybuilder';
import { api } from '../api.ts';
import { ConditionBuilder } from '../condition-builder.tsx';
import { issueTarget, type JreTop, toConditions, toQuery } from '../jre.ts';
import { JsonEditor } from '../json-editor.tsx';
import { Link, navigate } from '../router.tsx';
import type {
  BacktestJob,
  Catalogue,
  Explanation,
  Files,
  RuleFile,
  RuleJson,
  RuleKind,
  RulesOverview,
  ValidationIssue,
} from '../rules-api.ts';
import { canEditRules, useSession } from '../session.tsx';
import { dayStart } from '../time.ts';

const SAMPLE_FEEDBACK = {
  customer: { email: 'test@example.com', segment: 'spain' },
  nps: 2,
  comment: 'The parcel arrived late and damaged',
  language: 'en',
};

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function Field(props: { id: string; label: string; issues?: string[]; children: ReactNode; hint?: string }) {
  const issues = props.issues ?? [];
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <span className="muted">{props.hint}</span>}
      {issues.length > 0 && (
        <span className="issue" id={`${props.id}-error`} role="alert">
          {issues.join(' ')}
        </span>
      )}
    </div>
  );
}

/** The rule being edited inside a draft of all rule files. */
interface Draft {
  files: Files;
  kind: RuleKind;
  index: number;
}

function ruleOf(d: Draft): RuleJson | undefined {
  return d.files[d.kind]?.rules[d.index];
}

function withRule(d: Draft, change: (r: RuleJson) => RuleJson): Draft {
  const files = clone(d.files);
  const file = files[d.kind]!;
  file.rules[d.index] = change(file.rules[d.index]!);
  return { ...d, files };
}

function Explain(props: { files: Files }) {
  const [text, setText] = useState(JSON.stringify(SAMPLE_FEEDBACK, null, 2));
  const [feedbackId, setFeedbackId] = useState('');
  const [result, setResult] = useState<Explanation>();
  const [error, setError] = useState<string>();
  const run = async () => {
    setError(undefined);
    setResult(undefined);
    try {
      const body = feedbackId.trim()
        ? { files: props.files, feedbackId: feedbackId.trim() }
        : { files: props.files, feedback: JSON.parse(text) as unknown };
      setResult(await api<Explanation>('POST', '/v1/rules/explain', body));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section className="card" aria-labelledby="h-explain">
      <h3 id="h-explain">Explain a feedback against the draft</h3>
      <Field id="x-feedback" label="Feedback (JSON, as captured)">
        <textarea id="x-feedback" rows={7} value={text} onChange={(e) => setText(e.target.value)} />
      </Field>
      <Field id="x-id" label="…or a stored feedback id">
        <input id="x-id" value={feedbackId} onChange={(e) => setFeedbackId(e.target.value)} />
      </Field>
      <button className="secondary" type="button" onClick={run}>
        Explain
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {result && (
        <div aria-live="polite">
          <ul className="explain">
            {result.rules.map((r) => (
              <li key={`${r.kind}:${r.id}`}>
                <strong>
                  {r.kind}/{r.id}
                </strong>{' '}
                {r.fired ? (
                  <span className="held">fired</span>
                ) : r.shadowedBy ? (
                  <span className="soon">shadowed by {r.shadowedBy}</span>
                ) : (
                  <span className="failed">did not fire</span>
                )}{' '}
                — {r.words}
                <ul>
                  {r.conditions.map((c) => (
                    <li key={c.path} className={c.held ? 'held' : 'failed'}>
                      {c.held ? '✓' : '✗'} {c.fact} {c.operator} {JSON.stringify(c.value)} (seen{' '}
                      {JSON.stringify(c.seen) ?? 'nothing'})
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
          <details>
            <summary>Decision</summary>
            <pre>{JSON.stringify(result.decision, null, 2)}</pre>
          </details>
        </div>
      )}
    </section>
  );
}

function Fixtures(props: { files: Files }) {
  const [result, setResult] = useState<{
    passed: number;
    failed: number;
    results: { name: string; ok: boolean; message?: string }[];
  }>();
  const [error, setError] = useState<string>();
  return (
    <section className="card" aria-labelledby="h-fixtures">
      <h3 id="h-fixtures">Fixtures</h3>
      <button
        className="secondary"
        type="button"
        onClick={() =>
          api<typeof result>('POST', '/v1/rules/fixtures', { files: props.files }).then(
            (r) => {
              setError(undefined);
              setResult(r);
            },
            (e: Error) => setError(e.message),
          )
        }
      >
        Run the fixtures
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {result && (
        <div aria-live="polite">
          <p>
            {result.passed} passed, {result.failed} failed.
          </p>
          <ul>
            {result.results
              .filter((r) => !r.ok)
              .map((r) => (
                <li key={r.name} className="failed">
                  {r.name}: {r.message}
                </li>
              ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function Backtest(props: { files: Files }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [job, setJob] = useState<BacktestJob>();
  const [error, setError] = useState<string>();
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );
  const run = async () => {
    setError(undefined);
    setJob(undefined);
    try {
      const { jobId } = await api<{ jobId: string }>('POST', '/v1/rules/backtest', {
        files: props.files,
        ...(from ? { from: dayStart(from) } : {}),
        ...(to ? { to: dayStart(to) } : {}),
      });
      // Polls until the job is done (bounded: a backtest that runs for ten minutes is reported as lost).
      for (let i = 0; i < 1200 && live.current; i++) {
        const j = await api<BacktestJob>('GET', `/v1/rules/backtest/${encodeURIComponent(jobId)}`);
        setJob(j);
        if (j.status !== 'running') return;
        await new Promise((r) => setTimeout(r, 500));
      }
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const r = job?.result;
  return (
    <section className="card" aria-labelledby="h-backtest">
      <h3 id="h-backtest">Backtest against stored feedback</h3>
      <div className="row">
        <Field id="b-from" label="From (day)">
          <input id="b-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field id="b-to" label="To (day, not included)">
          <input id="b-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </Field>
        <button className="secondary" type="button" onClick={run}>
          Run the backtest
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {job && (
        <div aria-live="polite">
          <label htmlFor="b-progress">
            Backtest {job.status}: {job.progress.done} of {job.progress.total} answers
          </label>{' '}
          <progress id="b-progress" max={Math.max(1, job.progress.total)} value={job.progress.done} />
          {job.error && <p className="error">{job.error}</p>}
        </div>
      )}
      {r && (
        <div>
          <p data-testid="backtest-summary">
            {r.changed} of {r.total} answers would be decided differently.
          </p>
          {r.byRule.length > 0 && (
            <table>
              <caption className="muted">How often each rule fires, running rules → draft</caption>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Running</th>
                  <th scope="col">Draft</th>
                </tr>
              </thead>
              <tbody>
                {r.byRule.map((b) => (
                  <tr key={`${b.kind}:${b.id}`}>
                    <td>
                      {b.kind}/{b.id}
                    </td>
                    <td>{b.before}</td>
                    <td>{b.after}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {r.changes.length > 0 && (
            <table>
              <caption className="muted">Examples of what changes</caption>
              <thead>
                <tr>
                  <th scope="col">Feedback</th>
                  <th scope="col">What</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {r.changes.slice(0, 20).map((c, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a fixed result list
                  <tr key={i}>
                    <td>{c.feedbackId}</td>
                    <td>{c.field}</td>
                    <td>{JSON.stringify(c.before)}</td>
                    <td>{JSON.stringify(c.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

export function RuleEditPage(props: { kind: string; id: string }) {
  const session = useSession();
  const kind = props.kind as RuleKind;
  const isNew = props.id === 'new';
  const [overview, setOverview] = useState<RulesOverview>();
  const [catalogue, setCatalogue] = useState<Catalogue>();
  const [schema, setSchema] = useState<object>();
  const [draft, setDraft] = useState<Draft>();
  const [query, setQuery] = useState<RuleGroupType>({ combinator: 'and', rules: [] });
  const [jsonText, setJsonText] = useState('');
  const [jsonError, setJsonError] = useState<string>();
  const [paramsText, setParamsText] = useState('{}');
  const [paramsError, setParamsError] = useState<string>();
  const [issues, setIssues] = useState<ValidationIssue[]>([]);
  const [loadError, setLoadError] = useState<string>();
  const [comment, setComment] = useState('');
  const [published, setPublished] = useState<string>();
  const [publishError, setPublishError] = useState<string>();

  useEffect(() => {
    (async () => {
      try {
        const [o, c, s] = await Promise.all([
          api<RulesOverview>('GET', '/v1/rules'),
          api<Catalogue>('GET', '/v1/rules/catalogue'),
          api<object>('GET', '/v1/rules/schema'),
        ]);
        setOverview(o);
        setCatalogue(c);
        setSchema(s);
        const files = clone(o.files);
        const file: RuleFile = files[kind] ?? { kind, rules: [] };
        files[kind] = file;
        let index = file.rules.findIndex((r) => r.id === props.id);
        if (isNew || index < 0) {
          if (!isNew) throw new Error(`No ${kind} rule "${props.id}" in the running rules`);
          file.rules.push({
            id: '',
            conditions: { all: [] },
            event: { type: c.eventTypes[kind]?.[0] ?? '', params: {} },
          });
          index = file.rules.length - 1;
        }
        const d = { files, kind, index };
        setDraft(d);
        const rule = ruleOf(d)!;
        setQuery(toQuery(rule.conditions as JreTop));
        setParamsText(JSON.stringify(rule.event.params ?? {}, null, 2));
        setJsonText(JSON.stringify(file, null, 2));
      } catch (e) {
        setLoadError((e as Error).message);
      }
    })();
  }, [kind, props.id, isNew]);

  // Validation as you type: the whole draft, a moment after the last change.
  useEffect(() => {
    if (!draft) return;
    let live = true;
    const t = setTimeout(() => {
      api<{ ok: boolean; issues: ValidationIssue[] }>('POST', '/v1/rules/validate', {
        files: draft.files,
      }).then(
        (r) => live && setIssues(r.issues),
        (e: Error) => live && setIssues([{ path: '', message: e.message }]),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [draft]);

  /** Every change goes through here: the draft, and the JSON view that shows it. */
  const update = useCallback((d: Draft, fromJson = false) => {
    setDraft(d);
    setPublished(undefined);
    if (!fromJson) setJsonText(JSON.stringify(d.files[d.kind], null, 2));
  }, []);

  const mine = useMemo(
    () =>
      issues
        .filter((i) => !i.kind || i.kind === kind)
        .map((i) => ({ ...i, target: issueTarget(i.path) }))
        .filter((i) => !i.target || i.target.rule === draft?.index),
    [issues, kind, draft?.index],
  );
  const issuesAtField = (field: string) =>
    mine
      .filter((i) => i.target?.field === field && !i.target.queryPath)
      .map((i) => `${i.message}${i.hint ? ` (${i.hint})` : ''}`);
  const issuesAt = useCallback(
    (path: number[]) =>
      mine
        .filter((i) => i.target?.queryPath && i.target.queryPath.join('.') === path.join('.'))
        .map((i) => `${i.message}${i.hint ? ` (${i.hint})` : ''}`),
    [mine],
  );

  if (loadError)
    return (
      <main id="main">
        <h1>Rule</h1>
        <p role="alert" className="error">
          {loadError}
        </p>
        <Link to="/rules">Back to the rules</Link>
      </main>
    );
  if (!overview || !catalogue || !draft)
    return (
      <main id="main">
        <h1>Rule</h1>
        <p>Loading…</p>
      </main>
    );

  const rule = ruleOf(draft)!;
  const editable = canEditRules(session) && !overview.readOnly;
  const setField = (change: (r: RuleJson) => RuleJson) => update(withRule(draft, change));

  return (
    <main id="main">
      <p>
        <Link to="/rules">← All rules</Link>
      </p>
      <h1>{isNew ? `New ${kind} rule` : `${kind} rule ${rule.name ?? rule.id}`}</h1>
      {overview.readOnly && (
        <p className="notice" role="note">
          This server reads its rules from a folder: you can try changes here, but not publish them.
        </p>
      )}
      <div className="grid2">
        <div>
          <section className="card" aria-labelledby="h-rule">
            <h2 id="h-rule">Rule</h2>
            <div className="row">
              <Field id="r-id" label="Id" issues={issuesAtField('id')} hint="letters, digits, - . : _">
                <input
                  id="r-id"
                  value={rule.id}
                  aria-invalid={issuesAtField('id').length > 0}
                  onChange={(e) => setField((r) => ({ ...r, id: e.target.value }))}
                />
              </Field>
              <Field id="r-name" label="Name" issues={issuesAtField('name')}>
                <input
                  id="r-name"
                  value={rule.name ?? ''}
                  onChange={(e) =>
                    setField((r) => {
                      const { name: _n, ...rest } = r;
                      return e.target.value ? { ...rest, name: e.target.value } : (rest as RuleJson);
                    })
                  }
                />
              </Field>
              <Field id="r-priority" label="Priority" issues={issuesAtField('priority')}>
                <input
                  id="r-priority"
                  type="number"
                  min={0}
                  value={rule.priority ?? ''}
                  onChange={(e) =>
                    setField((r) => {
                      const { priority: _p, ...rest } = r;
                      return e.target.value === ''
                        ? (rest as RuleJson)
                        : { ...rest, priority: Number(e.target.value) };
                    })
                  }
                />
              </Field>
              <Field id="r-tags" label="Tags (comma-separated)" issues={issuesAtField('tags')}>
                <input
                  id="r-tags"
                  value={(rule.tags ?? []).join(', ')}
                  onChange={(e) => {
                    const tags = e.target.value
                      .split(',')
                      .map((t) => t.trim())
                      .filter(Boolean);
                    setField((r) => {
                      const { tags: _t, ...rest } = r;
                      return tags.length ? { ...rest, tags } : (rest as RuleJson);
                    });
                  }}
                />
              </Field>
              <div className="field">
                <label htmlFor="r-enabled">
                  <input
                    id="r-enabled"
                    type="checkbox"
                    checked={rule.enabled !== false}
                    onChange={(e) =>
                      setField((r) => {
                        const { enabled: _e, ...rest } = r;
                        return e.target.checked ? (rest as RuleJson) : { ...rest, enabled: false };
                      })
                    }
                  />{' '}
                  Enabled
                </label>
              </div>
            </div>
            <h3>When</h3>
            <ConditionBuilder
              query={query}
              catalogue={catalogue}
              issuesAt={issuesAt}
              onChange={(q) => {
                setQuery(q);
                setField((r) => ({ ...r, conditions: toConditions(q) }));
              }}
            />
            {issuesAtField('conditions').map((m) => (
              <p key={m} className="issue" role="alert">
                {m}
              </p>
            ))}
            <h3>Then</h3>
            <div className="row">
              <Field id="r-event" label="Event">
                <select
                  id="r-event"
                  value={rule.event.type}
                  onChange={(e) => setField((r) => ({ ...r, event: { ...r.event, type: e.target.value } }))}
                >
                  {(catalogue.eventTypes[kind] ?? []).map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              </Field>
            </div>
            <Field
              id="r-params"
              label="Event parameters (JSON)"
              issues={[...(paramsError ? [paramsError] : []), ...issuesAtField('event')]}
              hint={
                kind === 'route'
                  ? 'openCase: { "priority": "high", "segment"?, "owner"? | "pool"? }; thankCustomer: { "template" }'
                  : undefined
              }
            >
              <textarea
                id="r-params"
                rows={4}
                value={paramsText}
                aria-invalid={Boolean(paramsError) || issuesAtField('event').length > 0}
                onChange={(e) => {
                  setParamsText(e.target.value);
                  try {
                    const params = JSON.parse(e.target.value) as Record<string, unknown>;
                    setParamsError(undefined);
                    setField((r) => ({ ...r, event: { ...r.event, params } }));
                  } catch (x) {
                    setParamsError(`Not valid JSON yet: ${(x as Error).message}`);
                  }
                }}
              />
            </Field>
          </section>
          <section className="card" aria-labelledby="h-json">
            <h2 id="h-json">The {kind} file as JSON</h2>
            <p className="muted">The same draft as the form above: edit either one.</p>
            <JsonEditor
              value={jsonText}
              schema={schema}
              label={`The ${kind} rule file as JSON`}
              onChange={(text) => {
                setJsonText(text);
                try {
                  const file = JSON.parse(text) as RuleFile;
                  setJsonError(undefined);
                  const files = clone(draft.files);
                  files[kind] = file;
                  const byId = file.rules?.findIndex((r) => r.id === rule.id) ?? -1;
                  const index =
                    byId >= 0 ? byId : Math.min(draft.index, Math.max(0, (file.rules?.length ?? 1) - 1));
                  const d = { files, kind, index };
                  update(d, true);
                  const next = ruleOf(d);
                  if (next?.conditions && typeof next.conditions === 'object')
                    setQuery(toQuery(next.conditions as JreTop));
                  if (next?.event) setParamsText(JSON.stringify(next.event.params ?? {}, null, 2));
                } catch (x) {
                  setJsonError(`Not valid JSON yet: ${(x as Error).message}`);
                }
              }}
            />
            {jsonError && <p className="issue">{jsonError}</p>}
          </section>
        </div>
        <div>
          <section className="card" aria-labelledby="h-issues">
            <h2 id="h-issues">Validation</h2>
            <div aria-live="polite" data-testid="validation">
              {issues.length === 0 ? (
                <p className="ok">The draft is valid.</p>
              ) : (
                <ul>
                  {issues.map((i) => (
                    <li key={`${i.kind}:${i.path}:${i.message}`} className="issue">
                      {i.kind ? `${i.kind}: ` : ''}
                      {i.path && <code>{i.path}</code>} {i.message}
                      {i.hint ? ` — ${i.hint}` : ''}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </section>
          <section aria-labelledby="h-try">
            <h2 id="h-try">Try the draft</h2>
            <Explain files={draft.files} />
            <Fixtures files={draft.files} />
            <Backtest files={draft.files} />
          </section>
          {editable && (
            <section className="card" aria-labelledby="h-publish">
              <h2 id="h-publish">Publish</h2>
              <Field id="p-comment" label="What changes, and why">
                <textarea
                  id="p-comment"
                  rows={2}
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                />
              </Field>
              <button
                className="primary"
                type="button"
                disabled={
                  issues.length > 0 || comment.trim() === '' || Boolean(jsonError) || Boolean(paramsError)
                }
                onClick={async () => {
                  setPublishError(undefined);
                  try {
                    const r = await api<{ version: string }>('POST', '/v1/rules/publish', {
                      files: draft.files,
                      comment: comment.trim(),
                    });
                    setPublished(r.version);
                  } catch (e) {
                    setPublishError((e as Error).message);
                  }
                }}
              >
                Publish
              </button>
              {issues.length > 0 && <p className="muted">Fix the problems above to publish.</p>}
              {published && (
                <p role="status" className="ok">
                  Published version {published}; it runs now. <Link to="/rules">See all rules</Link>{' '}
                  {rule.id && (
                    <button
                      className="secondary"
                      type="button"
                      onClick={() => navigate(`/rules/${kind}/${rule.id}`)}
                    >
                      Keep editing
                    </button>
                  )}
                </p>
              )}
              {publishError && (
                <p role="alert" className="error">
                  {publishError}
                </p>
              )}
            </section>
          )}
        </div>
      </div>
    </main>
  );
}
