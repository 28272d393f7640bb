import { defineConfig } from 'tsup';

export default defineConfig({
  // The workflow entry ships as its own file: the worker bundles it with webpack at start.
  entry: ['src/index.ts', 'src/bin.ts', 'src/workflows/index.ts', 'src/failure-converter.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // Keep 'node:' specifiers: node:sqlite exists only under that name.
  removeNodeProtocol: false,
  // The CommonJS build gets a shim for import.meta.url (used to find the workflow entry file).
  shims: true,
});
