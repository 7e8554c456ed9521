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
);
