import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { Link } from '../router.tsx';
import { RULE_KINDS, type RulesOverview, type VersionInfo } from '../rules-api.ts';
import { canEditRules, nameOf, useSession } from '../session.tsx';
import { formatTime } from '../time.ts';

const KIND_HELP: Record<string, string> = {
  classify: 'Topics, flags, segment and value band of every answer',
  route: 'Who gets a case, with what priority; thanks and re-surveys',
  alert: 'Who hears about what, on which channel',
  sla: 'Deadlines for first response and resolution',
  escalate: 'What happens when a deadline passes',
};

function Versions(props: { readOnly: boolean; onChange: () => void }) {
  const session = useSession();
  const [versions, setVersions] = useState<VersionInfo[]>([]);
  const [diff, setDiff] = useState<{
    version: string;
    diff: { kind: string; id: string; change: string }[];
  }>();
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api<VersionInfo[]>('GET', '/v1/rules/versions').then(setVersions, (e: Error) => setError(e.message));
  }, []);
  useEffect(load, [load]);
  const editable = canEditRules(session) && !props.readOnly;
  return (
    <section className="card" aria-labelledby="h-versions">
      <h2 id="h-versions">Versions</h2>
      {versions.length === 0 && <p className="muted">Nothing published yet.</p>}
      {versions.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Published</th>
                <th scope="col">By</th>
                <th scope="col">Comment</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    {v.version}
                    {v.current ? ' (running)' : ''}
                  </td>
                  <td>{formatTime(v.publishedAt)}</td>
                  <td>{nameOf(session.org, v.publishedBy)}</td>
                  <td>{v.comment}</td>
                  <td className="row">
                    <button
                      className="secondary"
                      type="button"
                      onClick={() =>
                        api<{ version: string; diff: { kind: string; id: string; change: string }[] }>(
                          'GET',
                          `/v1/rules/versions/${encodeURIComponent(v.version)}`,
                        ).then(setDiff, (e: Error) => setError(e.message))
                      }
                    >
                      Diff {v.version} with the running rules
                    </button>
                    {editable && !v.current && (
                      <button
                        className="secondary"
                        type="button"
                        onClick={async () => {
                          setError(undefined);
                          try {
                            const r = await api<{ version: string }>('POST', '/v1/rules/rollback', {
                              version: v.version,
                              comment: `Roll back to ${v.version}`,
                            });
                            setMessage(`Rolled back: ${v.version} runs again (as version ${r.version}).`);
                            load();
                            props.onChange();
                          } catch (e) {
                            setError((e as Error).message);
                          }
                        }}
                      >
                        Roll back to {v.version}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {message && (
        <p role="status" className="ok">
          {message}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {diff && (
        <section aria-labelledby="h-diff">
          <h3 id="h-diff">Version {diff.version} against the running rules</h3>
          {diff.diff.length === 0 ? (
            <p>No differences.</p>
          ) : (
            <ul>
              {diff.diff.map((d) => (
                <li key={`${d.kind}:${d.id}`}>
                  {d.kind} rule <strong>{d.id}</strong>: {d.change}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </section>
  );
}

interface ApplyResult {
  checked: number;
  dryRun: boolean;
  changed: {
    caseId: string;
    changes: { field: string; before: unknown; after: unknown; applied: boolean; error?: string }[];
  }[];
}

/** Applies the running rules to the open cases: a dry run first, then for real (each change logged on its case). */
function ApplyToOpenCases() {
  const [result, setResult] = useState<ApplyResult>();
  const [error, setError] = useState<string>();
  const run = async (dryRun: boolean) => {
    setError(undefined);
    try {
      setResult(await api<ApplyResult>('POST', '/v1/rules/apply', { dryRun }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section className="card" aria-labelledby="h-apply">
      <h2 id="h-apply">Apply the running rules to open cases</h2>
      <p className="muted">
        New rules decide new feedback. To re-decide the cases already open (owner, segment, priority), preview
        first; applying writes each change to its case's log.
      </p>
      <div className="row">
        <button className="secondary" type="button" onClick={() => run(true)}>
          Preview the changes
        </button>
        <button className="secondary" type="button" disabled={!result?.dryRun} onClick={() => run(false)}>
          Apply them
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {result && (
        <div aria-live="polite">
          <p data-testid="apply-summary">
            {result.dryRun ? 'Would change' : 'Changed'} {result.changed.length} of {result.checked} open
            cases.
          </p>
          <ul>
            {result.changed.slice(0, 20).map((c) => (
              <li key={c.caseId}>
                <Link to={`/cases/${encodeURIComponent(c.caseId)}`}>{c.caseId}</Link>:{' '}
                {c.changes
                  .map((x) => `${x.field} ${JSON.stringify(x.before)} → ${JSON.stringify(x.after)}`)
                  .join('; ')}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

export function RulesPage() {
  const session = useSession();
  const [data, setData] = useState<RulesOverview>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api<RulesOverview>('GET', '/v1/rules').then(setData, (e: Error) => setError(e.message));
  }, []);
  useEffect(load, [load]);
  if (error)
    return (
      <main id="main">
        <h1>Rules</h1>
        <p role="alert" className="error">
          {error}
        </p>
      </main>
    );
  if (!data)
    return (
      <main id="main">
        <h1>Rules</h1>
        <p>Loading…</p>
      </main>
    );
  const editable = canEditRules(session) && !data.readOnly;
  return (
    <main id="main">
      <h1>Rules</h1>
      {data.readOnly && (
        <p className="notice" role="note">
          This server reads its rules from a folder: they are shown read-only here. Change the files (and keep
          them in git), or use <code>closedloop rules push</code> against a server that keeps rules in its
          store.
        </p>
      )}
      <p>
        Running version <strong>{data.running.version}</strong>
        {data.running.publishedAt &&
          `, published ${formatTime(data.running.publishedAt)} by ${nameOf(session.org, data.running.publishedBy ?? '')}`}
        {data.running.comment ? ` (“${data.running.comment}”)` : ''}.
      </p>
      {RULE_KINDS.map((kind) => {
        const set = data.sets.find((s) => s.kind === kind);
        return (
          <section className="card" key={kind} aria-labelledby={`h-${kind}`}>
            <div className="row" style={{ justifyContent: 'space-between' }}>
              <h2 id={`h-${kind}`}>
                {kind} <span className="muted">— {KIND_HELP[kind]}</span>
              </h2>
              {editable && (
                <Link to={`/rules/${kind}/new`} className="button-link">
                  New {kind} rule
                </Link>
              )}
            </div>
            {!set || set.rules.length === 0 ? (
              <p className="muted">
                No {kind} rules{data.source === 'store' ? ' published' : ''}.
              </p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Rule</th>
                      <th scope="col">When</th>
                      <th scope="col">Then</th>
                      <th scope="col">Enabled</th>
                      <th scope="col">Tags</th>
                      <th scope="col">Last change</th>
                      <th scope="col">Fired 7 d</th>
                      <th scope="col">Fired 30 d</th>
                    </tr>
                  </thead>
                  <tbody>
                    {set.rules.map((r) => (
                      <tr key={r.id}>
                        <td>
                          <Link to={`/rules/${kind}/${encodeURIComponent(r.id)}`}>{r.name ?? r.id}</Link>
                          {r.name && <div className="muted">{r.id}</div>}
                        </td>
                        <td>{r.words}</td>
                        <td>
                          <code>{r.event.type}</code>
                          {r.event.params && <div className="muted">{JSON.stringify(r.event.params)}</div>}
                        </td>
                        <td>{r.enabled ? 'yes' : 'no'}</td>
                        <td>
                          {r.tags.map((t) => (
                            <span className="tag" key={t}>
                              {t}
                            </span>
                          ))}
                        </td>
                        <td>
                          {r.lastChange
                            ? `${nameOf(session.org, r.lastChange.by)}, ${formatTime(r.lastChange.at)}`
                            : '—'}
                        </td>
                        <td>{r.fired.d7}</td>
                        <td>{r.fired.d30}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        );
      })}
      {data.source === 'store' && <Versions readOnly={data.readOnly} onChange={load} />}
      {editable && <ApplyToOpenCases />}
    </main>
  );
}
