import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: process.env.LABLOOP_TEST_JSON ? ['default', ['json', { outputFile: process.env.LABLOOP_TEST_JSON }]] : ['default'],
  },
});
