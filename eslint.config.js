// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (paths) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    { paths, patterns: [{ group: ['electron/*'], message: 'Only main/shell may use Electron.' }] },
  ],
});
const electron = {
  name: 'electron',
  message: 'The core never imports Electron: only main/shell does (ADR-0013).',
  allowTypeImports: false,
};
const sqlite = { name: 'better-sqlite3', message: 'SQL lives in main/store.', allowTypeImports: true };
const undici = { name: 'undici', message: 'HTTP to Ollama goes through main/ollama.', allowTypeImports: true };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'renderer/dist/**', 'test-results/**', 'playwright-report/**', '.stage/**', 'release/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  { files: ['main/**/*.ts', 'shared/**/*.ts', 'renderer/**/*.{ts,tsx}'], rules: restrict([electron, sqlite, undici]) },
  { files: ['main/store/**/*.ts'], rules: restrict([electron, undici]) },
  { files: ['main/ollama/**/*.ts', 'bench/**/*.ts'], rules: restrict([electron, sqlite]) },
  { files: ['main/shell/**/*.ts'], rules: restrict([sqlite, undici]) },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { console: 'readonly', process: 'readonly' } } },
  // Tests may open the real database file to check what a crash left behind.
  { files: ['**/*.test.ts', 'e2e/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off', ...restrict([electron]) } },
);
