/** One email: a subject and a text body, optionally an HTML body (else the text, escaped). */
export interface MessageTemplate {
  subject: string;
  text: string;
  /** Trusted HTML with `{{var}}` slots; values are HTML-escaped when inserted. */
  html?: string;
}

/** Built-in template names; `informCustomer` effects may name any other template you add. */
export type BuiltInTemplateName =
  | 'caseCreated'
  | 'caseUpdated'
  | 'slaBreached'
  | 'alert'
  | 'thankYou'
  | 'caseResolved'
  | 'resurvey';

/** Templates by language (`en`, `es`, …) and name. */
export type EmailTemplates = Record<string, Record<string, MessageTemplate>>;

/** Words the connector puts into variables (priority, status, headlines), per language. */
export interface Labels {
  priority: Record<string, string>;
  status: Record<string, string>;
  headline: { detractor: string; passive: string; promoter: string; other: string };
  sla: { firstResponse: string; resolution: string };
  newComment: string;
  arrow: string;
}

export const DEFAULT_LANGUAGE = 'en';

export const LABELS: Record<string, Labels> = {
  en: {
    priority: { low: 'low', medium: 'medium', high: 'high', critical: 'critical' },
    status: { new: 'new', open: 'open', resolved: 'resolved', escalated: 'escalated' },
    headline: {
      detractor: 'New detractor case',
      passive: 'New passive case',
      promoter: 'New promoter case',
      other: 'New case',
    },
    sla: { firstResponse: 'first response', resolution: 'resolution' },
    newComment: 'new comment',
    arrow: '→',
  },
  es: {
    priority: { low: 'baja', medium: 'media', high: 'alta', critical: 'crítica' },
    status: { new: 'nuevo', open: 'abierto', resolved: 'resuelto', escalated: 'escalado' },
    headline: {
      detractor: 'Nuevo caso de detractor',
      passive: 'Nuevo caso de pasivo',
      promoter: 'Nuevo caso de promotor',
      other: 'Nuevo caso',
    },
    sla: { firstResponse: 'primera respuesta', resolution: 'resolución' },
    newComment: 'nuevo comentario',
    arrow: '→',
  },
  it: {
    priority: { low: 'bassa', medium: 'media', high: 'alta', critical: 'critica' },
    status: { new: 'nuovo', open: 'aperto', resolved: 'risolto', escalated: 'escalato' },
    headline: {
      detractor: 'Nuovo caso detrattore',
      passive: 'Nuovo caso passivo',
      promoter: 'Nuovo caso promotore',
      other: 'Nuovo caso',
    },
    sla: { firstResponse: 'prima risposta', resolution: 'risoluzione' },
    newComment: 'nuovo commento',
    arrow: '→',
  },
  pl: {
    priority: { low: 'niski', medium: 'średni', high: 'wysoki', critical: 'krytyczny' },
    status: { new: 'nowe', open: 'otwarte', resolved: 'rozwiązane', escalated: 'eskalowane' },
    headline: {
      detractor: 'Nowe zgłoszenie krytyka',
      passive: 'Nowe zgłoszenie pasywnego klienta',
      promoter: 'Nowe zgłoszenie promotora',
      other: 'Nowe zgłoszenie',
    },
    sla: { firstResponse: 'pierwsza odpowiedź', resolution: 'rozwiązanie' },
    newComment: 'nowy komentarz',
    arrow: '→',
  },
};

const CASE_FACTS_EN = `Customer: {{customer}}
Segment: {{segment}}
Owner: {{owner}}
Priority: {{priority}}
Status: {{status}}
{{#score}}Score: {{score}}
{{/score}}
Comment:
{{feedbackComment}}{{#caseUrl}}

Open the case: {{caseUrl}}{{/caseUrl}}`;

const CASE_FACTS_ES = `Cliente: {{customer}}
Segmento: {{segment}}
Propietario: {{owner}}
Prioridad: {{priority}}
Estado: {{status}}
{{#score}}Puntuación: {{score}}
{{/score}}
Comentario:
{{feedbackComment}}{{#caseUrl}}

Abrir el caso: {{caseUrl}}{{/caseUrl}}`;

const CASE_FACTS_IT = `Cliente: {{customer}}
Segmento: {{segment}}
Responsabile: {{owner}}
Priorità: {{priority}}
Stato: {{status}}
{{#score}}Punteggio: {{score}}
{{/score}}
Commento:
{{feedbackComment}}{{#caseUrl}}

Apri il caso: {{caseUrl}}{{/caseUrl}}`;

const CASE_FACTS_PL = `Klient: {{customer}}
Segment: {{segment}}
Właściciel: {{owner}}
Priorytet: {{priority}}
Status: {{status}}
{{#score}}Ocena: {{score}}
{{/score}}
Komentarz:
{{feedbackComment}}{{#caseUrl}}

Otwórz zgłoszenie: {{caseUrl}}{{/caseUrl}}`;

const GESTURE_EN = `{{#gestureDescription}}

As a thank-you: {{gestureDescription}}{{#gestureCode}} (code {{gestureCode}}){{/gestureCode}}.{{/gestureDescription}}`;
const GESTURE_ES = `{{#gestureDescription}}

Como agradecimiento: {{gestureDescription}}{{#gestureCode}} (código {{gestureCode}}){{/gestureCode}}.{{/gestureDescription}}`;
const GESTURE_IT = `{{#gestureDescription}}

Come ringraziamento: {{gestureDescription}}{{#gestureCode}} (codice {{gestureCode}}){{/gestureCode}}.{{/gestureDescription}}`;
const GESTURE_PL = `{{#gestureDescription}}

W podziękowaniu: {{gestureDescription}}{{#gestureCode}} (kod {{gestureCode}}){{/gestureCode}}.{{/gestureDescription}}`;

/** The built-in templates for English, Spanish, Italian and Polish. */
export const DEFAULT_TEMPLATES: EmailTemplates = {
  en: {
    caseCreated: {
      subject: '[Case {{caseId}}] {{headline}}: priority {{priority}}, segment {{segment}}',
      text: `A new case was assigned to {{owner}}.\n\n${CASE_FACTS_EN}`,
    },
    caseUpdated: {
      subject: '[Case {{caseId}}] Updated by {{actor}}: {{changeSummary}}',
      text: `{{actor}} updated case {{caseId}}.\n\n{{#changes}}What changed:\n{{changes}}\n\n{{/changes}}{{#comment}}New comment:\n{{comment}}\n\n{{/comment}}${CASE_FACTS_EN}`,
    },
    slaBreached: {
      subject: '[Case {{caseId}}] SLA breached ({{breach}}): priority {{priority}}, segment {{segment}}',
      text: `The {{breach}} deadline of case {{caseId}} has passed.\n\n${CASE_FACTS_EN}`,
    },
    alert: {
      subject:
        '[Alert {{ruleId}}] {{#segment}}Segment {{segment}}: {{/segment}}{{#score}}{{score}}{{/score}}',
      text: `Rule {{ruleId}} fired for feedback {{feedbackId}}.\n\n{{#score}}Score: {{score}}\n{{/score}}{{#segment}}Segment: {{segment}}\n{{/segment}}{{#topics}}Topics: {{topics}}\n{{/topics}}{{#flags}}Flags: {{flags}}\n{{/flags}}{{#comment}}\nComment:\n{{comment}}{{/comment}}`,
    },
    thankYou: {
      subject: 'Thank you for your feedback',
      text: `Hello{{#customerName}} {{customerName}}{{/customerName}},\n\nthank you for taking the time to tell us what you think. Customers like you are why we keep improving.${GESTURE_EN}\n\nKind regards`,
    },
    caseResolved: {
      subject: 'Your feedback: what we did about it',
      text: `Hello{{#customerName}} {{customerName}}{{/customerName}},\n\nthank you for your feedback. We looked into it{{#rootCause}} and found the cause: {{rootCause}}{{/rootCause}}.{{#message}}\n\n{{message}}{{/message}}${GESTURE_EN}\n\nKind regards`,
    },
    resurvey: {
      subject: 'Would you recommend us now?',
      text: `Hello{{#customerName}} {{customerName}}{{/customerName}},\n\nwe recently acted on your feedback. How likely are you now to recommend us to a friend or colleague? It takes one click:\n\n{{url}}\n\nThank you`,
    },
  },
  es: {
    caseCreated: {
      subject: '[Caso {{caseId}}] {{headline}}: prioridad {{priority}}, segmento {{segment}}',
      text: `Se ha asignado un nuevo caso a {{owner}}.\n\n${CASE_FACTS_ES}`,
    },
    caseUpdated: {
      subject: '[Caso {{caseId}}] Actualizado por {{actor}}: {{changeSummary}}',
      text: `{{actor}} ha actualizado el caso {{caseId}}.\n\n{{#changes}}Cambios:\n{{changes}}\n\n{{/changes}}{{#comment}}Nuevo comentario:\n{{comment}}\n\n{{/comment}}${CASE_FACTS_ES}`,
    },
    slaBreached: {
      subject: '[Caso {{caseId}}] SLA incumplido ({{breach}}): prioridad {{priority}}, segmento {{segment}}',
      text: `Ha vencido el plazo de {{breach}} del caso {{caseId}}.\n\n${CASE_FACTS_ES}`,
    },
    alert: {
      subject:
        '[Alerta {{ruleId}}] {{#segment}}Segmento {{segment}}: {{/segment}}{{#score}}{{score}}{{/score}}',
      text: `La regla {{ruleId}} se ha activado para la respuesta {{feedbackId}}.\n\n{{#score}}Puntuación: {{score}}\n{{/score}}{{#segment}}Segmento: {{segment}}\n{{/segment}}{{#topics}}Temas: {{topics}}\n{{/topics}}{{#flags}}Alertas: {{flags}}\n{{/flags}}{{#comment}}\nComentario:\n{{comment}}{{/comment}}`,
    },
    thankYou: {
      subject: 'Gracias por tu opinión',
      text: `Hola{{#customerName}} {{customerName}}{{/customerName}}:\n\ngracias por dedicar tu tiempo a contarnos lo que piensas. Clientes como tú son la razón por la que seguimos mejorando.${GESTURE_ES}\n\nUn saludo`,
    },
    caseResolved: {
      subject: 'Tu opinión: lo que hemos hecho',
      text: `Hola{{#customerName}} {{customerName}}{{/customerName}}:\n\ngracias por tu opinión. La hemos analizado{{#rootCause}} y encontrado la causa: {{rootCause}}{{/rootCause}}.{{#message}}\n\n{{message}}{{/message}}${GESTURE_ES}\n\nUn saludo`,
    },
    resurvey: {
      subject: '¿Nos recomendarías ahora?',
      text: `Hola{{#customerName}} {{customerName}}{{/customerName}}:\n\nhace poco actuamos según tu opinión. ¿Con qué probabilidad nos recomendarías ahora a un amigo o colega? Solo es un clic:\n\n{{url}}\n\nGracias`,
    },
  },
  it: {
    caseCreated: {
      subject: '[Caso {{caseId}}] {{headline}}: priorità {{priority}}, segmento {{segment}}',
      text: `Un nuovo caso è stato assegnato a {{owner}}.\n\n${CASE_FACTS_IT}`,
    },
    caseUpdated: {
      subject: '[Caso {{caseId}}] Aggiornato da {{actor}}: {{changeSummary}}',
      text: `{{actor}} ha aggiornato il caso {{caseId}}.\n\n{{#changes}}Modifiche:\n{{changes}}\n\n{{/changes}}{{#comment}}Nuovo commento:\n{{comment}}\n\n{{/comment}}${CASE_FACTS_IT}`,
    },
    slaBreached: {
      subject: '[Caso {{caseId}}] SLA violato ({{breach}}): priorità {{priority}}, segmento {{segment}}',
      text: `La scadenza di {{breach}} del caso {{caseId}} è passata.\n\n${CASE_FACTS_IT}`,
    },
    alert: {
      subject:
        '[Avviso {{ruleId}}] {{#segment}}Segmento {{segment}}: {{/segment}}{{#score}}{{score}}{{/score}}',
      text: `La regola {{ruleId}} è scattata per la risposta {{feedbackId}}.\n\n{{#score}}Punteggio: {{score}}\n{{/score}}{{#segment}}Segmento: {{segment}}\n{{/segment}}{{#topics}}Temi: {{topics}}\n{{/topics}}{{#flags}}Segnali: {{flags}}\n{{/flags}}{{#comment}}\nCommento:\n{{comment}}{{/comment}}`,
    },
    thankYou: {
      subject: 'Grazie per la tua opinione',
      text: `Ciao{{#customerName}} {{customerName}}{{/customerName}},\n\ngrazie per averci detto cosa ne pensi. Sono i clienti come te a farci migliorare.${GESTURE_IT}\n\nCordiali saluti`,
    },
    caseResolved: {
      subject: 'La tua opinione: cosa abbiamo fatto',
      text: `Ciao{{#customerName}} {{customerName}}{{/customerName}},\n\ngrazie per la tua opinione. L'abbiamo analizzata{{#rootCause}} e trovato la causa: {{rootCause}}{{/rootCause}}.{{#message}}\n\n{{message}}{{/message}}${GESTURE_IT}\n\nCordiali saluti`,
    },
    resurvey: {
      subject: 'Ci consiglieresti adesso?',
      text: `Ciao{{#customerName}} {{customerName}}{{/customerName}},\n\nabbiamo agito in base alla tua opinione. Quanto è probabile ora che ci consigli a un amico o collega? Basta un clic:\n\n{{url}}\n\nGrazie`,
    },
  },
  pl: {
    caseCreated: {
      subject: '[Zgłoszenie {{caseId}}] {{headline}}: priorytet {{priority}}, segment {{segment}}',
      text: `Nowe zgłoszenie przypisano do {{owner}}.\n\n${CASE_FACTS_PL}`,
    },
    caseUpdated: {
      subject: '[Zgłoszenie {{caseId}}] Zaktualizowane przez {{actor}}: {{changeSummary}}',
      text: `{{actor}} zaktualizował(a) zgłoszenie {{caseId}}.\n\n{{#changes}}Zmiany:\n{{changes}}\n\n{{/changes}}{{#comment}}Nowy komentarz:\n{{comment}}\n\n{{/comment}}${CASE_FACTS_PL}`,
    },
    slaBreached: {
      subject:
        '[Zgłoszenie {{caseId}}] Przekroczone SLA ({{breach}}): priorytet {{priority}}, segment {{segment}}',
      text: `Minął termin ({{breach}}) zgłoszenia {{caseId}}.\n\n${CASE_FACTS_PL}`,
    },
    alert: {
      subject:
        '[Alert {{ruleId}}] {{#segment}}Segment {{segment}}: {{/segment}}{{#score}}{{score}}{{/score}}',
      text: `Reguła {{ruleId}} zadziałała dla odpowiedzi {{feedbackId}}.\n\n{{#score}}Ocena: {{score}}\n{{/score}}{{#segment}}Segment: {{segment}}\n{{/segment}}{{#topics}}Tematy: {{topics}}\n{{/topics}}{{#flags}}Flagi: {{flags}}\n{{/flags}}{{#comment}}\nKomentarz:\n{{comment}}{{/comment}}`,
    },
    thankYou: {
      subject: 'Dziękujemy za opinię',
      text: `Dzień dobry{{#customerName}} {{customerName}}{{/customerName}},\n\ndziękujemy, że poświęcili Państwo czas, by podzielić się opinią. To dzięki takim klientom stale się poprawiamy.${GESTURE_PL}\n\nZ pozdrowieniami`,
    },
    caseResolved: {
      subject: 'Państwa opinia: co zrobiliśmy',
      text: `Dzień dobry{{#customerName}} {{customerName}}{{/customerName}},\n\ndziękujemy za opinię. Przeanalizowaliśmy ją{{#rootCause}} i znaleźliśmy przyczynę: {{rootCause}}{{/rootCause}}.{{#message}}\n\n{{message}}{{/message}}${GESTURE_PL}\n\nZ pozdrowieniami`,
    },
    resurvey: {
      subject: 'Czy poleciliby nas Państwo teraz?',
      text: `Dzień dobry{{#customerName}} {{customerName}}{{/customerName}},\n\nniedawno zajęliśmy się Państwa opinią. Jak prawdopodobne jest teraz, że polecą nas Państwo znajomym? To jedno kliknięcie:\n\n{{url}}\n\nDziękujemy`,
    },
  },
};

/** The language we have templates for: `es-ES` → `es`; anything unknown → `en`. */
export function pickLanguage(tag: string | undefined, available: Iterable<string>): string {
  const langs = new Set(available);
  if (tag) {
    const lower = tag.toLowerCase();
    if (langs.has(lower)) return lower;
    const base = lower.split('-')[0] ?? '';
    if (langs.has(base)) return base;
  }
  return DEFAULT_LANGUAGE;
}

/** Built-in templates with the user's merged over them (per language, per template name). */
export function mergeTemplates(overrides: EmailTemplates | undefined): EmailTemplates {
  const out: EmailTemplates = {};
  for (const [lang, set] of Object.entries(DEFAULT_TEMPLATES)) out[lang] = { ...set };
  for (const [lang, set] of Object.entries(overrides ?? {})) out[lang] = { ...(out[lang] ?? {}), ...set };
  return out;
}
