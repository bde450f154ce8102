import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'coverage/**', 'bin/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins.',
          })),
          patterns: [
            { group: ['**/activities/*', '**/schemas/*', '**/runtime/*', '**/api/*', '**/cli/*'], message: 'Workflow code imports only domain code and activity types.', allowTypeImports: true },
            { group: ['**/devtools/*', '**/devtools/**'], message: 'Only the CLI uses src/devtools: it never runs in a production sprint.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use workflow time; Date.now() is not allowed in workflows.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Math.random() is not allowed in workflows.' },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Domain code is pure: no Node built-ins.' })),
          patterns: [{ group: ['@temporalio/*', '**/activities/*', '**/runtime/*', '**/api/*', '**/cli/*', '**/workflows/*', '**/devtools/*', '**/devtools/**'], message: 'Domain code depends on nothing else in the project.' }],
        },
      ],
    },
  },
  {
    files: ['src/service/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api/*', '**/cli/*'], message: 'The service layer serves the API and the CLI; it imports neither.' },
            { group: ['**/devtools/*', '**/devtools/**'], message: 'Only the CLI uses src/devtools: it never runs in a production sprint.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/cli/*'], message: 'The API uses src/service, never the CLI.' },
            { group: ['**/devtools/*', '**/devtools/**'], message: 'Only the CLI uses src/devtools: it never runs in a production sprint.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/activities/**/*.ts', 'src/runtime/**/*.ts', 'src/schemas/**/*.ts', 'src/import/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api/*', '**/cli/*', '**/service/*'], message: 'Only the edges (api, cli) and the service layer use the service layer.' },
            { group: ['**/devtools/*', '**/devtools/**'], message: 'Only the CLI uses src/devtools: it never runs in a production sprint.' },
          ],
        },
      ],
    },
  },
  {
    // Development and test aids: they use domain and schemas, and nothing that runs a sprint uses them.
    files: ['src/devtools/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/activities/*', '**/workflows/*', '**/runtime/*', '**/service/*', '**/api/*', '**/cli/*'], message: 'src/devtools imports only domain and schemas.' }] },
      ],
    },
  },
  prettier,
);
