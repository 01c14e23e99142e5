// Typed ESLint: typescript-eslint's strict, type-checked rules on the package, the demo, the
// scripts and the benchmarks; the tests get the same rules minus those that fight test idioms.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      '.data/',
      'examples/orders-api/dist/',
      'node_modules/',
      'test/fixtures/',
      'coverage/',
      '.docs-build/',
      '.docs-starter/',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // The demo is type-checked against the sources (the root tsconfig's paths), not a build.
    files: ['examples/**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: './tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      // Numbers in messages are fine; objects and unknowns are not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Nest modules are classes that carry only decorators.
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      // Its verdicts disagree with tsc here (XState's `types: {} as {...}` idiom, casts tsc needs),
      // and its autofix removed them.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Nest declares its options objects as classes; literals are how they are meant to be given.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // These files walk XState's state nodes, typed StateNode<any, any> by XState itself.
    files: ['src/core/machine-index.ts', 'src/core/machine-description.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Tests and benchmarks: response bodies are untyped JSON, fixtures are asserted present.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      // expect(() => expect(x).toThrow()) is how a matcher's failure is tested.
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    // Type-level tests: declarations exist to be type-checked, never used.
    files: ['test/types/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-meaningless-void-operator': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    // The demo console's script runs in the browser.
    files: ['examples/*/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
