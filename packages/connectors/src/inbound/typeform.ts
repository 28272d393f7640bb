import type { Secret } from '../secrets.ts';
import { isRecord, makeAdapter, secretOf, stringRecord } from './adapter.ts';
import type { FieldMapping, RawAnswer } from './mapping.ts';
import { header, hmac, parseJson, type SurveyAdapter, signatureMatches } from './types.ts';

export interface TypeformAdapterOptions {
  /** The secret set on the form's webhook; Typeform signs with it (`Typeform-Signature`). */
  secret: Secret;
  mapping?: FieldMapping;
  env?: NodeJS.ProcessEnv;
}

function answerValue(a: Record<string, unknown>): RawAnswer['value'] | undefined {
  switch (a.type) {
    case 'number':
      return a.number as number;
    case 'text':
      return a.text as string;
    case 'email':
      return a.email as string;
    case 'boolean':
      return a.boolean as boolean;
    case 'date':
      return a.date as string;
    case 'url':
      return a.url as string;
    case 'phone_number':
      return a.phone_number as string;
    case 'choice':
      return isRecord(a.choice) ? ((a.choice.label ?? a.choice.other) as string) : undefined;
    case 'choices':
      return isRecord(a.choices) && Array.isArray(a.choices.labels) ? a.choices.labels.join(', ') : undefined;
    default:
      return undefined;
  }
}

/**
 * Typeform `form_response` webhooks. Verifies `Typeform-Signature: sha256=<base64 HMAC-SHA256 of
 * the body>`; the response `token` is the idempotency key. NPS questions (field type `nps`) and
 * hidden fields (`email`, `name`, `segment`, `language`…) map by default.
 *
 * @example
 * const typeform = typeformAdapter({ secret: { env: 'TYPEFORM_WEBHOOK_SECRET' } });
 * const result = await typeform.handle({ headers: req.headers, body: rawBody });
 */
export function typeformAdapter(options: TypeformAdapterOptions): SurveyAdapter {
  const secret = secretOf('typeform', 'secret', options.secret, options.env);
  return makeAdapter(
    'typeform',
    options.mapping,
    (req) => {
      const sig = header(req, 'typeform-signature');
      if (!sig?.startsWith('sha256='))
        return { ok: false, reason: 'missing Typeform-Signature header (sha256=…)' };
      return signatureMatches(hmac('sha256', secret, req.bytes), sig.slice(7), 'base64')
        ? { ok: true }
        : { ok: false, reason: 'Typeform-Signature does not match the body' };
    },
    async (req) => {
      const json = parseJson(req.body);
      if (!json.ok) return json;
      const body = json.value;
      if (!isRecord(body) || body.event_type !== 'form_response') return { ok: true, responses: [] };
      const fr = body.form_response;
      if (!isRecord(fr) || typeof fr.token !== 'string')
        return { ok: false, status: 400, error: 'form_response.token is missing' };
      const defs = new Map<string, Record<string, unknown>>();
      const fields =
        isRecord(fr.definition) && Array.isArray(fr.definition.fields) ? fr.definition.fields : [];
      for (const f of fields) if (isRecord(f) && typeof f.id === 'string') defs.set(f.id, f);
      const answers: RawAnswer[] = [];
      for (const a of Array.isArray(fr.answers) ? fr.answers : []) {
        if (!isRecord(a) || !isRecord(a.field)) continue;
        const value = answerValue(a);
        if (value === undefined) continue;
        const id = String(a.field.id);
        const def = defs.get(id);
        const title = typeof def?.title === 'string' ? def.title : undefined;
        const fieldType = String(a.field.type ?? def?.type ?? '');
        answers.push({
          keys: [id, ...(typeof a.field.ref === 'string' ? [a.field.ref] : []), ...(title ? [title] : [])],
          ...(title ? { title } : {}),
          kind:
            a.type === 'number'
              ? 'number'
              : a.type === 'email'
                ? 'email'
                : a.type === 'text'
                  ? 'text'
                  : a.type === 'boolean'
                    ? 'boolean'
                    : 'choice',
          value,
          ...(fieldType === 'nps' ? { scale: 'nps' as const } : {}),
          ...(fieldType === 'long_text' ? { openText: true } : {}),
        });
      }
      return {
        ok: true,
        responses: [
          {
            action: 'capture',
            ...(typeof body.event_id === 'string' ? { eventId: body.event_id } : {}),
            raw: {
              responseId: fr.token,
              submittedAt: typeof fr.submitted_at === 'string' ? fr.submitted_at : undefined,
              answers,
              hidden: stringRecord(fr.hidden),
            },
          },
        ],
      };
    },
  );
}
