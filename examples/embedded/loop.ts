// The closed loop embedded in your own program: copy this file to start.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emailConnector } from '@closedloop/connectors';
import { createClosedLoop } from '@closedloop/core';

export async function runExample(dir = mkdtempSync(join(tmpdir(), 'closedloop-example-'))) {
  // 1. Who handles which customers (seed 001: segments with managers).
  const loop = createClosedLoop({
    store: join(dir, 'closedloop.sqlite'), // durable SQLite file (the default store)
    directory: [
      { id: 'ana', name: 'Ana García', email: 'ana@shop.example' },
      { id: 'luis', name: 'Luis Pérez', email: 'luis@shop.example' },
      { id: 'eva', name: 'Eva Head', email: 'eva@shop.example' },
    ],
    segments: [
      { id: 'europe', name: 'Europe', managers: ['eva'] },
      { id: 'spain', name: 'Spain', parent: 'europe', managers: ['ana', 'luis'] },
    ],
    // Emails as .eml files here; pass SMTP settings instead to send them for real.
    connectors: [
      emailConnector({
        from: 'Care <care@shop.example>',
        transport: { kind: 'directory', path: join(dir, 'mail') },
      }),
    ],
  });

  // 2. A detractor answers the survey: a case opens for Ana, Luis in CC.
  const { case: opened } = await loop.capture({
    source: { tool: 'my-survey', responseId: 'resp-42' },
    customer: { email: 'marta@example.es', name: 'Marta', segment: 'spain' },
    nps: 3,
    comment: 'El pedido llegó tarde y nadie me avisó.',
    language: 'es',
  });
  if (!opened) throw new Error('a detractor should get a case');

  // 3. Ana works the case, resolves it with a root cause, and tells Marta what was done.
  await loop.cases.update(opened.id, { status: 'open' }, { actor: 'ana' });
  await loop.cases.comment(opened.id, 'Llamé a Marta: el transportista perdió el paquete dos días.', {
    actor: 'ana',
  });
  await loop.cases.resolve(opened.id, { rootCause: 'carrier delay' }, { actor: 'ana' });
  await loop.cases.inform(
    opened.id,
    {
      message: 'Hemos cambiado de transportista en tu zona.',
      gesture: { description: '10% de descuento', code: 'GRACIAS10' },
    },
    { actor: 'ana' },
  );

  // 4. Once the message is delivered the loop is learned; the case log tells the story.
  await loop.idle();
  const closed = await loop.cases.get(opened.id);
  const csv = await loop.cases.export('csv');
  await loop.close();
  return { dir, case: closed, csv };
}
