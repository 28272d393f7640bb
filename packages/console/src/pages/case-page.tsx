import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { Link } from '../router.tsx';
import { canWrite, nameOf, segmentName, useSession } from '../session.tsx';
import { formatTime, fromNow, viewerZone } from '../time.ts';
import type { Case, CaseActions } from '../types.ts';

interface Feedback {
  receivedAt: string;
  nps?: number;
  csat?: number;
  comment?: string;
  answers: { question: string; answer: string | number | boolean | string[] }[];
  touchpoint?: string;
  language?: string;
}
interface Preview {
  subject: string;
  html: string;
  text: string;
  to: { name?: string; address: string }[];
  language: string;
  template: string;
}

/** A refused or failed action, in the server's words, with the allowed moves when it names them. */
function Problem(props: { error: ApiError | Error | undefined }) {
  const e = props.error;
  if (!e) return null;
  const allowed =
    e instanceof ApiError && Array.isArray(e.details.allowed) ? (e.details.allowed as string[]) : [];
  return (
    <div role="alert" className="error">
      <p>{e.message}</p>
      {allowed.length > 0 && <p>Allowed instead: {allowed.join(', ')}</p>}
    </div>
  );
}

function Field(props: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
    </div>
  );
}

function SlaClock(props: {
  label: string;
  due?: string;
  metAt?: string;
  breachedAt?: string;
  running: boolean;
}) {
  const { due, metAt, breachedAt } = props;
  let state: ReactNode = <span className="muted">no deadline</span>;
  if (breachedAt) state = <span className="breached">breached {formatTime(breachedAt)}</span>;
  else if (metAt) state = <span className="ok">met {formatTime(metAt)}</span>;
  else if (due && !props.running) state = <span className="muted">stopped</span>;
  else if (due && Date.parse(due) < Date.now())
    state = <span className="breached">overdue ({fromNow(due)})</span>;
  else if (due)
    state = (
      <span className={Date.parse(due) - Date.now() < 4 * 3_600_000 ? 'soon' : ''}>{fromNow(due)}</span>
    );
  return (
    <>
      <dt>{props.label}</dt>
      <dd>
        {due ? `due ${formatTime(due)} · ` : ''}
        {state}
      </dd>
    </>
  );
}

export function CasePage(props: { id: string }) {
  const session = useSession();
  const { org } = session;
  const writable = canWrite(session);
  const [c, setCase] = useState<Case | undefined>();
  const [actions, setActions] = useState<CaseActions | undefined>();
  const [feedback, setFeedback] = useState<Feedback | undefined>();
  const [templates, setTemplates] = useState<{ id: string; languages: string[] }[]>([]);
  const [loadError, setLoadError] = useState<Error | undefined>();
  const [errors, setErrors] = useState<Record<string, Error | undefined>>({});
  const [done, setDone] = useState<string | undefined>();
  const [preview, setPreview] = useState<Preview | undefined>();
  const [status, setStatus] = useState('');
  const [template, setTemplate] = useState('caseResolved');
  const path = `/v1/cases/${encodeURIComponent(props.id)}`;

  const load = useCallback(async () => {
    try {
      const [found, allowed] = await Promise.all([
        api<Case>('GET', path),
        api<CaseActions>('GET', `${path}/actions`),
      ]);
      setCase(found);
      setActions(allowed);
      setLoadError(undefined);
      api<Feedback>('GET', `${path}/feedback`).then(setFeedback, () => setFeedback(undefined));
    } catch (e) {
      setLoadError(e as Error);
    }
  }, [path]);

  useEffect(() => {
    load();
    api<{ id: string; languages: string[] }[]>('GET', '/v1/templates').then(setTemplates, () =>
      setTemplates([]),
    );
  }, [load]);

  const act = async (key: string, method: string, sub: string, body: unknown, message: string) => {
    setErrors((e) => ({ ...e, [key]: undefined }));
    setDone(undefined);
    try {
      await api(method, `${path}${sub}`, body);
      setDone(message);
      await load();
      return true;
    } catch (e) {
      setErrors((x) => ({ ...x, [key]: e as Error }));
      return false;
    }
  };

  if (loadError)
    return (
      <main id="main">
        <h1>Case {props.id}</h1>
        <Problem error={loadError} />
        <p>
          <Link to="/cases">Back to the cases</Link>
        </p>
      </main>
    );
  if (!c || !actions)
    return (
      <main id="main">
        <h1>Case {props.id}</h1>
        <p>Loading…</p>
      </main>
    );

  const fields = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const out: Record<string, string> = {};
    for (const [k, v] of f) if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
    return { form: e.currentTarget, values: out };
  };
  const informBody = (v: Record<string, string>) => ({
    ...(v.message ? { message: v.message } : {}),
    ...(v.template ? { template: v.template } : {}),
    ...(v.language ? { language: v.language } : {}),
    ...(v.gesture ? { gesture: { description: v.gesture, ...(v.code ? { code: v.code } : {}) } } : {}),
  });
  const breachOf = (kind: string) => c.sla.breaches.find((b) => b.kind === kind)?.at;
  const languages = templates.find((t) => t.id === template)?.languages ?? ['en'];
  const moveSegments = status === 'escalated' ? actions.escalationSegments : actions.segments;

  return (
    <main id="main">
      <p>
        <Link to="/cases">← All cases</Link>
      </p>
      <h1>Case {c.id}</h1>
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
      <div className="grid2">
        <div>
          <section className="card" aria-labelledby="h-customer">
            <h2 id="h-customer">What the customer said</h2>
            <dl className="facts">
              <dt>Customer</dt>
              <dd>
                {c.customerEmail
                  ? `${c.customerName ?? '—'} <${c.customerEmail}>`
                  : `${c.customerName ? `${c.customerName} ` : ''}(id ${c.customerId ?? '?'}, no email: contact them another way)`}
              </dd>
              <dt>Score</dt>
              <dd>
                {c.nps !== undefined ? `NPS ${c.nps}` : ''}
                {c.csat !== undefined ? ` CSAT ${c.csat}` : ''}
                {c.nps === undefined && c.csat === undefined ? '—' : ''}
              </dd>
              <dt>Language</dt>
              <dd>{c.language ?? '—'}</dd>
              {feedback?.touchpoint && (
                <>
                  <dt>Touchpoint</dt>
                  <dd>{feedback.touchpoint}</dd>
                </>
              )}
              {feedback && (
                <>
                  <dt>Answered</dt>
                  <dd>{formatTime(feedback.receivedAt)}</dd>
                </>
              )}
            </dl>
            <h3>Comment</h3>
            <blockquote>{c.feedbackComment || '(no comment)'}</blockquote>
            {feedback && feedback.answers.length > 0 && (
              <>
                <h3>Answers</h3>
                <dl className="facts">
                  {feedback.answers.map((a, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: answers have no id and never reorder
                    <div key={i} style={{ display: 'contents' }}>
                      <dt>{a.question}</dt>
                      <dd>{Array.isArray(a.answer) ? a.answer.join(', ') : String(a.answer)}</dd>
                    </div>
                  ))}
                </dl>
              </>
            )}
          </section>
          <section className="card" aria-labelledby="h-comments">
            <h2 id="h-comments">Comments</h2>
            {c.comments.length === 0 && <p className="muted">No comments yet.</p>}
            <ul>
              {c.comments.map((m) => (
                <li key={m.id}>
                  <strong>{nameOf(org, m.author)}</strong> <span className="muted">{formatTime(m.at)}</span>
                  <blockquote>{m.body}</blockquote>
                </li>
              ))}
            </ul>
            {writable && actions.canComment && (
              <form
                onSubmit={async (e) => {
                  const { form, values } = fields(e);
                  if (await act('comment', 'POST', '/comment', { body: values.body ?? '' }, 'Comment added.'))
                    form.reset();
                }}
              >
                <Field id="comment-body" label="New comment">
                  <textarea id="comment-body" name="body" rows={3} required />
                </Field>
                <button className="primary" type="submit">
                  Add comment
                </button>
                <Problem error={errors.comment} />
              </form>
            )}
          </section>
          <section className="card" aria-labelledby="h-log">
            <h2 id="h-log">Log</h2>
            <div className="table-wrap">
              <table>
                <caption className="muted" style={{ textAlign: 'left' }}>
                  Every change, oldest first. Times in {viewerZone()}.
                </caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Who</th>
                    <th scope="col">What</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                    <th scope="col">Note</th>
                  </tr>
                </thead>
                <tbody>
                  {c.audit.map((a, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: the log only grows
                    <tr key={i}>
                      <td>{formatTime(a.at)}</td>
                      <td>{nameOf(org, a.actor)}</td>
                      <td>{a.action}</td>
                      <td>{a.before === undefined || a.before === null ? '' : String(a.before)}</td>
                      <td>{a.after === undefined || a.after === null ? '' : String(a.after)}</td>
                      <td>{a.note ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </div>
        <div>
          <section className="card" aria-labelledby="h-state">
            <h2 id="h-state">State</h2>
            <dl className="facts">
              <dt>Status</dt>
              <dd data-testid="case-status">{c.status}</dd>
              <dt>Priority</dt>
              <dd className={`p-${c.priority}`}>{c.priority}</dd>
              <dt>Segment</dt>
              <dd>{segmentName(org, c.segment)}</dd>
              <dt>Owner</dt>
              <dd>{nameOf(org, c.owner)}</dd>
              <SlaClock
                label="First response"
                running={c.status !== 'resolved'}
                {...(c.sla.firstResponseDue ? { due: c.sla.firstResponseDue } : {})}
                {...(c.sla.firstRespondedAt ? { metAt: c.sla.firstRespondedAt } : {})}
                {...(breachOf('firstResponse') ? { breachedAt: breachOf('firstResponse')! } : {})}
              />
              <SlaClock
                label="Resolution"
                running={c.status !== 'resolved'}
                {...(c.sla.resolutionDue ? { due: c.sla.resolutionDue } : {})}
                {...(c.resolvedAt ? { metAt: c.resolvedAt } : {})}
                {...(breachOf('resolution') ? { breachedAt: breachOf('resolution')! } : {})}
              />
              {c.rootCause && (
                <>
                  <dt>Root cause</dt>
                  <dd>{c.rootCause}</dd>
                </>
              )}
              <dt>Customer informed</dt>
              <dd>{c.customerInformedAt ? formatTime(c.customerInformedAt) : 'not yet'}</dd>
              <dt>Created</dt>
              <dd>{formatTime(c.createdAt)}</dd>
              <dt>Updated</dt>
              <dd>{formatTime(c.updatedAt)}</dd>
            </dl>
            <p className="muted">
              Now {actions.state}. Possible now:{' '}
              {actions.actions.join(', ') || 'nothing (the loop is closed)'}.
            </p>
          </section>
          {!writable && (
            <p className="notice">
              {session.me
                ? 'Your role can read cases but not change them.'
                : 'Pick who you are (top right) to act.'}
            </p>
          )}
          {writable && actions.canUpdate && (
            <section className="card" aria-labelledby="h-update">
              <h2 id="h-update">Update</h2>
              <form
                className="stack"
                onSubmit={async (e) => {
                  const { values } = fields(e);
                  const ok = await act('update', 'PATCH', '', values, 'Case updated.');
                  if (ok) setStatus('');
                }}
              >
                <Field id="u-status" label="Status">
                  <select
                    id="u-status"
                    name="status"
                    value={status}
                    onChange={(e) => setStatus(e.target.value)}
                  >
                    <option value="">(keep {c.status})</option>
                    {actions.statuses.map((s) => (
                      <option key={s}>{s}</option>
                    ))}
                  </select>
                </Field>
                <Field id="u-priority" label="Priority">
                  <select id="u-priority" name="priority" defaultValue="">
                    <option value="">(keep {c.priority})</option>
                    {['low', 'medium', 'high', 'critical']
                      .filter((p) => p !== c.priority)
                      .map((p) => (
                        <option key={p}>{p}</option>
                      ))}
                  </select>
                </Field>
                <Field id="u-segment" label="Move to segment">
                  <select id="u-segment" name="segment" defaultValue="">
                    <option value="">(keep {segmentName(org, c.segment)})</option>
                    {moveSegments.map((s) => (
                      <option key={s.id} value={s.id}>
                        {s.name}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field id="u-note" label="Note (optional)">
                  <input id="u-note" name="note" />
                </Field>
                <div>
                  <button className="primary" type="submit">
                    Update case
                  </button>
                </div>
                <Problem error={errors.update} />
              </form>
            </section>
          )}
          {writable && actions.canReassign && (
            <section className="card" aria-labelledby="h-reassign">
              <h2 id="h-reassign">Reassign</h2>
              <form
                className="row"
                onSubmit={(e) => {
                  const { values } = fields(e);
                  act('reassign', 'POST', '/reassign', values, 'Case reassigned.');
                }}
              >
                <Field id="r-owner" label="New owner">
                  <select id="r-owner" name="owner" required defaultValue="">
                    <option value="" disabled>
                      Pick a person
                    </option>
                    {actions.owners.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.name}
                      </option>
                    ))}
                  </select>
                </Field>
                <button className="primary" type="submit">
                  Reassign
                </button>
                <Problem error={errors.reassign} />
              </form>
            </section>
          )}
          {writable && actions.canResolve && (
            <section className="card" aria-labelledby="h-resolve">
              <h2 id="h-resolve">Resolve</h2>
              <form
                className="row"
                onSubmit={(e) => {
                  const { values } = fields(e);
                  act('resolve', 'POST', '/resolve', values, 'Case resolved.');
                }}
              >
                <Field id="rs-cause" label="Root cause">
                  <input id="rs-cause" name="rootCause" required />
                </Field>
                <Field id="rs-note" label="Note (optional)">
                  <input id="rs-note" name="note" />
                </Field>
                <button className="primary" type="submit">
                  Resolve case
                </button>
                <Problem error={errors.resolve} />
              </form>
            </section>
          )}
          {writable && actions.canInform && (
            <section className="card" aria-labelledby="h-inform">
              <h2 id="h-inform">Inform the customer</h2>
              <form
                className="stack"
                onSubmit={async (e) => {
                  e.preventDefault();
                  const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
                  const f = new FormData(e.currentTarget);
                  const values: Record<string, string> = {};
                  for (const [k, v] of f) if (typeof v === 'string' && v.trim() !== '') values[k] = v.trim();
                  if (submitter?.value === 'preview') {
                    setErrors((x) => ({ ...x, inform: undefined }));
                    try {
                      setPreview(await api<Preview>('POST', `${path}/inform/preview`, informBody(values)));
                    } catch (err) {
                      setErrors((x) => ({ ...x, inform: err as Error }));
                    }
                    return;
                  }
                  if (
                    await act(
                      'inform',
                      'POST',
                      '/inform',
                      informBody(values),
                      'The mail to the customer is on its way.',
                    )
                  )
                    setPreview(undefined);
                }}
              >
                <div className="row">
                  <Field id="i-template" label="Template">
                    <select
                      id="i-template"
                      name="template"
                      value={template}
                      onChange={(e) => setTemplate(e.target.value)}
                    >
                      {templates.map((t) => (
                        <option key={t.id} value={t.id}>
                          {t.id}
                        </option>
                      ))}
                    </select>
                  </Field>
                  <Field id="i-language" label="Language">
                    <select
                      id="i-language"
                      name="language"
                      defaultValue={c.language && languages.includes(c.language) ? c.language : languages[0]}
                      key={template}
                    >
                      {languages.map((l) => (
                        <option key={l}>{l}</option>
                      ))}
                    </select>
                  </Field>
                </div>
                <Field id="i-message" label="Message">
                  <textarea id="i-message" name="message" rows={4} />
                </Field>
                <div className="row">
                  <Field id="i-gesture" label="Gesture (optional), e.g. 10 % off your next order">
                    <input id="i-gesture" name="gesture" />
                  </Field>
                  <Field id="i-code" label="Coupon code (optional)">
                    <input id="i-code" name="code" />
                  </Field>
                </div>
                <div className="row">
                  <button className="secondary" type="submit" value="preview">
                    Preview the email
                  </button>
                  <button className="primary" type="submit" value="send" disabled={!preview}>
                    Send to the customer
                  </button>
                  {!preview && <span className="muted">Preview first, then send.</span>}
                </div>
                <Problem error={errors.inform} />
              </form>
              {preview && (
                <section aria-labelledby="h-preview">
                  <h3 id="h-preview">Preview (not sent yet)</h3>
                  <dl className="facts">
                    <dt>To</dt>
                    <dd>
                      {preview.to.map((t) => (t.name ? `${t.name} <${t.address}>` : t.address)).join(', ')}
                    </dd>
                    <dt>Subject</dt>
                    <dd data-testid="preview-subject">{preview.subject}</dd>
                  </dl>
                  <iframe className="preview" title="Email preview" sandbox="" srcDoc={preview.html} />
                  <details>
                    <summary>Plain text part</summary>
                    <pre data-testid="preview-text">{preview.text}</pre>
                  </details>
                </section>
              )}
            </section>
          )}
        </div>
      </div>
    </main>
  );
}
