import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // Keep 'node:' specifiers: node:sqlite exists only under that name.
  removeNodeProtocol: false,
});
