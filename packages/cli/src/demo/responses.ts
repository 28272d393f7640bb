import type { FeedbackInput } from '@closedloop/core';

/** A small deterministic PRNG (mulberry32) so every demo run tells the same story. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Lang = 'es' | 'it' | 'pl' | 'en';
const MARKETS: { segment: string; lang: Lang; domain: string; names: string[] }[] = [
  {
    segment: 'spain',
    lang: 'es',
    domain: 'correo.example',
    names: ['María López', 'Carlos Ruiz', 'Ana Torres', 'Pablo Gil', 'Lucía Navarro', 'Diego Molina'],
  },
  {
    segment: 'italy',
    lang: 'it',
    domain: 'posta.example',
    names: ['Giulia Conti', 'Luca Romano', 'Sara Greco', 'Matteo Gallo', 'Chiara Costa', 'Paolo Fontana'],
  },
  {
    segment: 'poland',
    lang: 'pl',
    domain: 'poczta.example',
    names: [
      'Anna Kowalska',
      'Piotr Zieliński',
      'Magda Wójcik',
      'Tomasz Lewandowski',
      'Ewa Kamińska',
      'Jan Szymański',
    ],
  },
  {
    segment: 'uk-ie',
    lang: 'en',
    domain: 'mail.example',
    names: ['Oliver Smith', 'Amelia Jones', 'Harry Taylor', 'Isla Brown', 'Jack Wilson', 'Grace Evans'],
  },
  {
    segment: 'business',
    lang: 'en',
    domain: 'corp.example',
    names: ['Acme Ltd (R. Patel)', 'Northwind (S. Kelly)', 'Globex (D. Hughes)', 'Initech (M. Scott)'],
  },
];

const COMMENTS: Record<Lang, { bad: string[]; mid: string[]; good: string[] }> = {
  es: {
    bad: [
      'El pedido llegó con dos semanas de retraso y nadie me avisó.',
      'Producto roto y el servicio de atención no contesta.',
      'Me cobraron dos veces, una vergüenza.',
      'La devolución es un infierno, llevo un mes esperando el reembolso.',
    ],
    mid: ['Todo bien, aunque la entrega fue algo lenta.', 'Correcto, pero la web es confusa.'],
    good: ['¡Excelente servicio, llegó al día siguiente!', 'Muy buena atención, lo recomiendo a mis amigos.'],
  },
  it: {
    bad: [
      'Il pacco è arrivato danneggiato e il rimborso non arriva.',
      'Consegna in ritardo di dieci giorni, pessimo.',
      'Addebito doppio sulla carta, nessuna risposta dal supporto.',
    ],
    mid: ['Tutto ok, ma la consegna è stata lenta.', 'Prodotto buono, prezzo un po’ alto.'],
    good: ['Servizio eccellente, lo consiglio!', 'Consegna velocissima, bravi.'],
  },
  pl: {
    bad: [
      'Przesyłka przyszła uszkodzona, a obsługa klienta nie odpowiada.',
      'Zwrot pieniędzy trwa już miesiąc.',
      'Zamówienie spóźnione o tydzień, bez żadnej informacji.',
    ],
    mid: ['W porządku, ale dostawa była wolna.', 'Produkt dobry, strona mało czytelna.'],
    good: ['Świetna obsługa, polecam!', 'Szybka dostawa i miły kontakt.'],
  },
  en: {
    bad: [
      'Parcel arrived broken and support never called back.',
      'Charged twice and still waiting for the refund.',
      'Delivery was a week late with no updates at all.',
      'Our account manager left and nobody picked up our tickets.',
    ],
    mid: ['Fine overall, delivery a bit slow.', 'Good product, the checkout was clunky.'],
    good: ['Brilliant service, already told my friends.', 'Next-day delivery, spot on.'],
  },
};

const TOUCHPOINTS = ['delivery', 'checkout', 'support-call', 'returns', 'app'];

/** About `count` survey answers across four languages, every score band, some anonymous. */
export function demoResponses(count: number, seed = 7): FeedbackInput[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: FeedbackInput[] = [];
  const base = Date.parse('2026-11-02T08:00:00Z');
  for (let i = 0; i < count; i++) {
    const m = pick(MARKETS);
    // Skewed towards real NPS distributions: ~30% detractors, ~25% passives, ~45% promoters.
    const r = rnd();
    const nps =
      r < 0.3 ? Math.floor(rnd() * 7) : r < 0.55 ? 7 + Math.floor(rnd() * 2) : 9 + Math.floor(rnd() * 2);
    const band = nps <= 6 ? 'bad' : nps <= 8 ? 'mid' : 'good';
    const anonymous = rnd() < 0.08;
    const name = pick(m.names);
    const local = name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z]+/g, '.')
      .replace(/^\.|\.$/g, '');
    out.push({
      source: { tool: 'demo-survey', responseId: `resp-${String(i + 1).padStart(4, '0')}` },
      customer: anonymous
        ? { anonymous: true, segment: m.segment }
        : { email: `${local}.${i}@${m.domain}`, name, segment: m.segment, value: Math.round(rnd() * 20_000) },
      nps,
      csat: rnd() < 0.5 ? Math.max(1, Math.min(5, Math.round(nps / 2))) : undefined,
      comment: rnd() < 0.85 ? pick(COMMENTS[m.lang][band]) : undefined,
      touchpoint: pick(TOUCHPOINTS),
      language: m.lang,
      receivedAt: new Date(base + i * 7 * 60_000).toISOString(),
    });
  }
  return out;
}
