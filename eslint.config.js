// Lint: ESLint's and typescript-eslint's recommended rules over the TypeScript sources, plus the
// layer rule the brief sets (the model imports no fs, process, chalk or React).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'test/lab/out/', 'scripts/bundle-shims/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Terminal output and binary data are matched for their escape and NUL bytes on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'child_process', 'os'], message: 'src/model is pure: no Node built-ins' },
          { group: ['chalk', 'react', 'ink', '**/access/*', '**/commands/*', '**/format/*', '**/ui/*', '**/native/*'], message: 'src/model imports nothing from I/O or view layers' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'src/model is pure: no process' }],
    },
  },
  {
    // bin/p2p.js is CommonJS on purpose (an ES module entry would start Node's ES module loader for nothing).
    files: ['bin/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-control-regex': 'off' },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
);
