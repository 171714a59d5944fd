// ESLint (flat config): the habits of docs/decisions/0001 and ../shared/STYLE.md that a tool can check.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Domain folders: everything under src/ except the shell, the kit and the composition root. */
const SHARED = [
  'http',
  'test-support',
  'contract',
  'feature',
  'lib',
  'db',
  'infra',
  'config',
  'ops',
  'cli',
];
// (src/app/ is the composition root; src/main.ts the entry.)

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench/**',
      'coverage/**',
      'data/**',
      'sdk/**/dist/**',
      'packages/*/dist/**',
      'packages/*/.quickstart/**',
    ],
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
      // A feature's `interface FeatureConfig extends ConfigOf<...> {}` is declaration merging, not an empty type.
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Packages published on their own (packages/verify): the same habits, without the type-aware
    // rules (their tsconfig is their own), and no import from src/ but in tests.
    files: ['packages/*/src/**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test-support.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/*', '../../*'],
              message:
                'A published package carries no server code: it imports only its own files and its dependencies.',
            },
          ],
        },
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
    // Import boundaries (docs/architecture.md). A domain folder never reaches into the
    // composition root (src/app/) or the HTTP shell (src/http/): it takes its dependencies as
    // arguments, and the feature contract (src/feature/contract.ts) is all it knows of the root.
    files: ['src/*/**/*.ts'],
    ignores: [...SHARED.map((d) => `src/${d}/**`), 'src/app/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/app/*', '**/http/*', '**/main.js'],
              message:
                'Domain code takes its dependencies as arguments; only src/app/ (the composition root) wires them, and only it uses the HTTP shell.',
            },
          ],
        },
      ],
    },
  },
  {
    // Services own the rules and know nothing of HTTP: only a domain's HTTP adapters
    // (routes, schemas, hooks, its feature declaration) import Fastify or the reply kit.
    files: ['src/*/**/*.ts'],
    ignores: [
      ...SHARED.map((d) => `src/${d}/**`),
      'src/app/**',
      'src/**/*.test.ts',
      'src/**/*.test-support.ts',
      'src/**/{routes,schemas,feature}.ts',
      'src/**/*-{routes,route,hooks}.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'fastify',
              message: 'Only HTTP adapters (*routes.ts, *-hooks.ts) import Fastify.',
            },
          ],
          patterns: [
            {
              group: [
                '**/app/*',
                '**/http/*',
                '**/contract/reply.js',
                '**/contract/request-meta.js',
              ],
              message:
                "A service takes plain arguments and throws TesseraError; replying is the routes' job.",
            },
          ],
        },
      ],
    },
  },
  {
    // Tenant isolation (docs/tenants.md): stores reach the tables through core.sql, a tenant
    // scope; the raw Kysely is for migrations, the database layer and the composition root.
    files: ['src/**/*.ts'],
    ignores: [
      'src/db/**',
      'src/app/core.ts',
      'src/**/*.test.ts',
      'src/test-support/**',
      'src/**/*.test-support.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='kysely']",
          message:
            'Query through core.sql.scope(tenant) (or core.sql.all(why) for a job over every tenant): the raw Kysely skips tenant isolation.',
        },
        {
          selector: "CallExpression[callee.property.name='withoutPlugins']",
          message: 'withoutPlugins() drops the tenant scope: only src/db/scope.ts may call it.',
        },
      ],
    },
  },
  {
    // The client SDK (packages/client): type-aware like src/ (a refresh promise nobody awaits
    // loses its error), through its test config, which covers sources and tests.
    files: ['packages/client/src/**/*.ts'],
    languageOptions: {
      parserOptions: {
        project: ['packages/client/tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // It runs in browsers: no node:* module and nothing of the server (its tests may use both).
    files: ['packages/client/src/**/*.ts'],
    ignores: ['packages/client/src/**/*.test.ts', 'packages/client/src/**/*.test-support.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '**/../src/*', '../../../*'],
              message:
                'The client SDK runs in browsers: no Node modules, and nothing of the server (copy a contract type instead).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/client/src/**/*.test.ts', 'packages/client/src/**/*.test-support.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
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
        AbortSignal: 'readonly',
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
