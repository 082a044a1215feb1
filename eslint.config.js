// Lint: TypeScript and Vue rules, and the folder boundaries of the architecture (shared/ is pure; server/, client/ and
// simulators/ may import shared/ and nothing else crosses folders; outside shared/ it is imported as @shared/…). harness/ holds what tests,
// benches and scripts share: it may start the server and the simulator, and nothing imports test/ but test/ itself.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

/** Outside shared/, the domain is imported through its alias, never by a relative path. */
const viaAlias = {
  group: ['../shared', '../shared/*', '../../shared/*', '../../../shared/*', '../../../../shared/*'],
  message: 'import shared/ as @shared/…',
};
const crossing = (...folders) =>
  folders.map((f) => ({
    group: [`**/${f}/**`, `../${f}/*`, `../../${f}/*`],
    message: `do not import ${f}/ from here`,
  }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'docs/**', 'coverage/**', '.ci/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/no-v-html': 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'path',
                'vue',
                'pinia',
                'echarts',
                'echarts/*',
                'socket.io',
                'socket.io-client',
                'express',
                'better-sqlite3',
                'pg',
                'ioredis',
              ],
              message: 'shared/ does no I/O',
            },
            ...crossing('server', 'client', 'simulators'),
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'shared/ takes time as an input',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'shared/ takes randomness as an input',
        },
      ],
    },
  },
  // The server logs through server/log.ts (structured JSON lines), never the console.
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...crossing('client', 'simulators'), viaAlias] }],
      'no-console': 'error',
    },
  },
  {
    files: ['client/**/*.{ts,vue}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...crossing('server', 'simulators'),
            viaAlias,
            { group: ['node:*'], message: 'the browser has no node:' },
          ],
        },
      ],
    },
  },
  {
    files: ['simulators/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...crossing('server', 'client'), viaAlias] }] },
  },
  {
    files: ['harness/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...crossing('test', 'bench', 'scripts'), viaAlias] }] },
  },
  {
    files: ['bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...crossing('test'), viaAlias] }] },
  },
  { files: ['test/**/*.ts', '*.config.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [viaAlias] }] } },
  // Layout is Prettier's (npm run format): the stylistic rules that would argue with it are off.
  prettier,
);
