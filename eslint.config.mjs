// Lint: typescript-eslint's type-checked rules everywhere, plus the layering rules that keep
// src/core free of VS Code and of the client libraries (STYLE.md §1).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const clientLibraries = ['@kubernetes/client-node', 'pg', 'pg-*', 'execa'];
const focusedTest = {
  selector: "CallExpression[callee.object.name=/^(describe|it|suite|test|context)$/][callee.property.name='only']",
  message: 'A focused test (.only) would make CI run only that test.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'node_modules/**', '.cache/**', 'test-results/**', '.vscode-test/**', '*.vsix'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', focusedTest],
    },
  },
  {
    // Tests, benchmarks and the sandbox read Kubernetes objects as untyped JSON (the test server's objects).
    files: ['test/**/*.ts', 'scripts/sandbox/**/*.ts', 'scripts/k8sApiServer/**/*.ts', 'scripts/lib/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core never imports vscode: put this in src/extension.' }],
          patterns: [
            {
              group: clientLibraries,
              message: 'src/core never imports a client library: put this in src/adapters behind a port.',
            },
            {
              group: ['**/extension/**', '**/adapters/**', '**/test/**', '**/scripts/**'],
              message: 'src/core depends on nothing outside itself.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/adapters never imports vscode: put this in src/extension.' }],
          patterns: [
            { group: ['**/extension/**'], message: 'adapters do not depend on the extension.' },
            { group: ['**/test/**', '**/scripts/**'], message: 'product code never imports test/ or scripts/.' },
          ],
        },
      ],
    },
  },
  {
    // The sandbox, the Kubernetes API test server and their helpers are part of the product: they
    // never reach into test/. Product code (src/) never imports scripts/ or test/ either.
    files: ['scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/test/**'], message: 'scripts/ never imports test/: move what both need into scripts/lib.' }] },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'the command line runs without VS Code: put this in src/extension.' }],
          patterns: [
            { group: ['**/extension/**'], message: 'the command line does not depend on the extension.' },
            { group: ['**/test/**', '**/scripts/**'], message: 'product code never imports test/ or scripts/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    ignores: ['src/extension/trust.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/test/**', '**/scripts/**'], message: 'product code never imports test/ or scripts/.' },
            {
              group: ['**/adapters/**'],
              allowTypeImports: true,
              message: 'clusters and processes are reached through trustedAdapters() (src/extension/trust.ts), the trust gate.',
            },
          ],
        },
      ],
      // Trust is checked in one place: src/extension/trust.ts.
      'no-restricted-syntax': [
        'error',
        focusedTest,
        {
          selector: "MemberExpression[property.name='isTrusted']",
          message: 'Workspace trust is checked in one place: use trustedAdapters() from src/extension/trust.ts.',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', require: 'readonly', __dirname: 'readonly' },
    },
  },
);
