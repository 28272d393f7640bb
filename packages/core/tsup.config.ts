import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'machine/index': 'src/machine/index.ts',
    'learn/index': 'src/learn/index.ts',
    postgres: 'src/postgres.ts',
    testing: 'src/testing.ts',
    'testing-conformance': 'src/testing-conformance.ts',
  },
  external: ['vitest', 'pg'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // Keep 'node:' specifiers: node:sqlite exists only under that name.
  removeNodeProtocol: false,
});
