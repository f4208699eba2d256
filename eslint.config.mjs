// Lint rules that guard what the type checker cannot: workflow code must stay
// deterministic (no Node built-ins, activities imported as types only), the
// layers import only downwards and never in a circle, and no promise may be
// left floating.

// The layers of src/, lowest first. A layer may import the ones before it;
// `except` lists what of a higher layer it may still import (interfaces, types,
// and workflows/search-attributes.ts, the attributes the workflow sets, whose
// visibility query the warm-start activity runs).
const LAYERS = [
  { dir: 'lib' },
  { dir: 'prompts' },
  { dir: 'spaces' },
  { dir: 'onnx' },
  { dir: 'llm' },
  { dir: 'search', except: { llm: ['./types.ts'] } },
  { dir: 'evaluators' },
  { dir: 'config' },
  { dir: 'activities', except: { workflows: ['./search-attributes.ts'] } },
  { dir: 'workflows', except: { activities: ['./config.ts', './evaluate.ts', './llm.ts', './warm-start.ts'] } },
  { dir: 'temporal' },
  { dir: 'workers' },
  { dir: 'client' },
  { dir: 'report' },
  { dir: 'cli' },
];
// Siblings that must not know each other though neither is below the other.
const APART = { spaces: ['prompts'], prompts: ['spaces'], llm: ['spaces', 'prompts', 'onnx'], search: ['onnx'], evaluators: ['llm'], workflows: ['evaluators', 'config', 'temporal', 'onnx'] };
const zones = LAYERS.flatMap(({ dir, except = {} }, i) => {
  const above = LAYERS.slice(i + 1).map((l) => l.dir);
  return [...above, ...(APART[dir] ?? [])].map((from) => ({
    target: `./src/${dir}`,
    from: `./src/${from}`,
    ...(except[from] ? { except: except[from] } : {}),
    message: `${dir} is below ${from}: move the shared piece down, or pass it in.`,
  }));
});
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'scratch/**', 'eslint.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js'] })],
      // no-cycle follows imports into other files, which it must parse as TypeScript.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test schedules these itself.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'before', 'after'] }] },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Code that runs inside the workflow sandbox, directly or through imports.
    files: ['src/workflows/**/*.ts', 'src/search/**/*.ts', 'src/spaces/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
          patterns: [
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'Import activities as types only (proxyActivities).' },
            { group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity'], message: 'Not available in the workflow sandbox.' },
            // llm/types.ts is the pure boundary (types and error classes) that ports and strategies share,
            // llm/failure.ts the pure rules for reporting a failed call (the workflow's port reads them).
            { group: ['**/evaluators/*', '**/llm/*', '!**/llm/types', '!**/llm/failure', '**/temporal/*', '**/onnx', '**/onnx/*', 'openai', 'onnxruntime-node', 'node-llama-cpp'], allowTypeImports: true, message: 'I/O belongs in activities.' },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The workflow itself: a plain Error thrown here fails the workflow task, which Temporal retries
    // forever (the search stays Running, answering nothing); a search that must end throws an ApplicationFailure.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ThrowStatement > NewExpression[callee.name=/^(Error|TypeError|RangeError|SyntaxError)$/]",
          message: 'Workflow code ends a search with ApplicationFailure.nonRetryable(message, type), not a plain Error (its workflow task would fail and retry forever).',
        },
      ],
    },
  },
);
