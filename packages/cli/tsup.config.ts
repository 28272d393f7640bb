import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  target: 'node22',
  // Keep 'node:' specifiers: node:sqlite exists only under that name.
  removeNodeProtocol: false,
  // import.meta.url in the CommonJS build too (the console's files are found beside the bundle).
  shims: true,
  // The console (packages/console) builds into dist/console after this: keep it.
  clean: ['!console/**'],
});
