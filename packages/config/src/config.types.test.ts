// `defineConfig` types a closedloop.config.ts: wrong values and inline secrets fail to compile.
import { expectTypeOf, it } from 'vitest';
import { type ConfigInput, defineConfig } from './index.ts';

const org = { directory: 'people.json', segments: 'segments.json' };

it('takes the config as written and gives it back typed', () => {
  const config = defineConfig({ ...org, store: { postgres: { url: { env: 'DATABASE_URL' } } } });
  expectTypeOf(config).toEqualTypeOf<ConfigInput>();
});

it('refuses a wrong value and a secret written inline', () => {
  // @ts-expect-error http.port is a number
  defineConfig({ ...org, http: { port: '4100' } });
  // @ts-expect-error a secret is { env: NAME }, never the value
  defineConfig({ ...org, inbound: { typeform: { secret: 'abc' } } });
  // @ts-expect-error the worker's encryption keys are { env: NAME } too
  defineConfig({ ...org, worker: { encryption: { current: 'k1', keys: { k1: 'base64…' } } } });
});
