import tseslint from 'typescript-eslint';
import importBoundaries from './eslint-rules/import-boundaries.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'src/console/web/dist/**', '.labloop/**', 'out/**', 'migrations/**', 'tests/.artifacts/**', 'bench/.scratch/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { labloop: { rules: { 'import-boundaries': importBoundaries } }, '@typescript-eslint': tseslint.plugin },
    rules: {
      'labloop/import-boundaries': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
