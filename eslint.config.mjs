import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.next/**', 'dist/**', 'node_modules/**', 'next-env.d.ts', 'data/**', 'test-results/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // What the browser runs, and the contract it shares with the server (lib/api), never reach
    // into the server: the types both sides use live in lib/api.
    files: ['components/**/*.{ts,tsx}', 'lib/api/**/*.ts', 'lib/ui/**/*.ts', 'lib/heatmap/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/server/*', '**/server/**', '@/lib/server/*'], message: 'browser code and lib/api do not import from lib/server: shared types live in lib/api' }] }],
    },
  },
);
