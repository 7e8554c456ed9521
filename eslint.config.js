import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'dist-bench-tmp/**', 'node_modules/**', 'coverage/**', '.warden/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='it'][callee.property.name=/^(only|skip|todo)$/]", message: 'No .only/.skip/.todo in tests.' },
        { selector: "CallExpression[callee.object.name='describe'][callee.property.name=/^(only|skip|todo)$/]", message: 'No .only/.skip/.todo in tests.' },
      ],
    },
  },
  {
    // Plain JavaScript run by Node (examples, scripts): Node's web-standard globals exist there.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { URL: 'readonly', URLSearchParams: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
  },
  {
    // The pure core: no I/O, no timers, no clock, nothing from the layers above it (ARCHITECTURE.md).
    files: ['src/policy/**/*.ts', 'src/facets/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(node:)?(fs|fs/promises|net|tls|http|https|http2|dgram|dns|child_process|cluster|worker_threads|timers|timers/promises|readline|os)$', message: 'src/policy and src/facets do no I/O: ask an injected interface and answer it at the edge (src/enforce).' },
            { regex: '^\\.\\./(enforce|audit|cli|integrations|replay|testing|server|runtime|store|identity|trust|sre|telemetry|detect|sandbox|supply|compliance|training)(/|$)', message: 'The core imports only decision.ts, errors.ts, lib/ and (for policy/) facets/.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'The core is synchronous and pure.' },
        { name: 'setInterval', message: 'The core is synchronous and pure.' },
        { name: 'setImmediate', message: 'The core is synchronous and pure.' },
        { name: 'process', message: 'The core reads no process state; take it as an option.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'The core reads no clock: time is passed in.' },
        { object: 'performance', property: 'now', message: 'The core reads no clock: time is passed in.' },
      ],
    },
  },
);
