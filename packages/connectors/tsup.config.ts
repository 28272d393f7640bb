import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per `exports` subpath; vendor SDKs stay external (optional peer dependencies).
  entry: {
    index: 'src/index.ts',
    slack: 'src/slack.ts',
    salesforce: 'src/salesforce.ts',
    hubspot: 'src/hubspot.ts',
    jira: 'src/jira.ts',
    kit: 'src/kit/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // Keep 'node:' specifiers: node:sqlite exists only under that name.
  removeNodeProtocol: false,
  external: ['@slack/web-api', '@hubspot/api-client', 'jsforce', 'jira.js'],
});
