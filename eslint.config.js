// ESLint (flat config): the habits of docs/decisions/0001 and ../shared/STYLE.md that a tool can check.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Domain folders: everything under src/ except the shell, the kit and the composition root. */
const SHARED = ['http', 'test-support', 'contract', 'lib', 'db', 'infra', 'config', 'ops', 'cli'];

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'bench/**', 'coverage/**', 'data/**', 'sdk/**/dist/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its error: every background call says where its failure goes.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests poke at internals and JSON bodies: `any` is how they read an answer.
    files: ['src/**/*.test.ts', 'src/test-support/**', 'src/**/*.test-support.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Import boundaries: a domain folder never reaches into the composition root. A warning
    // until the feature contract hands every route factory its services (issue 10, open):
    // 17 files still take the whole Runtime.
    files: ['src/*/**/*.ts'],
    ignores: SHARED.map((d) => `src/${d}/**`),
    rules: {
      'no-restricted-imports': [
        'warn',
        {
          patterns: [
            {
              group: [
                '../runtime.js',
                '../../runtime.js',
                '../server.js',
                '../main.js',
                '../modules.js',
                '../app.js',
                '../../app.js',
              ],
              message:
                'Domain code takes its dependencies as arguments; only the composition root imports runtime/app/server.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
        AbortController: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        crypto: 'readonly',
        WebSocket: 'readonly',
        setImmediate: 'readonly',
      },
    },
  },
  prettier,
);
