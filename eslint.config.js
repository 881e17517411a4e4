// Lint rules: typescript-eslint's recommended set plus the boundary rules of ADR 0001 and
// docs/architecture.md (machines stay pure; only the CLI entry points read the process environment;
// each room of src/ imports only the rooms its row of the directions table allows).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The rooms of src/ and the rooms each one may import: the table of docs/architecture.md, which
// test/unit/architecture/ checks against this lint. A room absent from a list is forbidden to it.
// `version.ts` is the one file at the top of src/; it is treated as a room of its own.
const ALLOWED_IMPORTS = {
  api: [],
  machines: [],
  flink: [],
  autoscaler: ['api', 'flink', 'version.ts'],
  storage: [],
  'version.ts': [],
  observability: ['version.ts'],
  kube: ['api', 'version.ts'],
  bootstrap: ['flink', 'version.ts'],
  visualizer: ['api', 'machines', 'flink', 'observability', 'version.ts'],
  supervisor: [
    'api',
    'machines',
    'flink',
    'autoscaler',
    'storage',
    'kube',
    'observability',
    'bootstrap',
    'visualizer',
    'version.ts',
  ],
  'control-api': ['api', 'flink', 'kube', 'observability', 'version.ts'],
  devenv: ['kube', 'storage', 'version.ts'],
  install: ['api', 'kube', 'devenv', 'version.ts'],
  operator: [
    'api',
    'machines',
    'flink',
    'storage',
    'kube',
    'observability',
    'install',
    'control-api',
    'version.ts',
  ],
  'node-agent': ['kube', 'devenv', 'version.ts'],
  demo: ['api', 'kube', 'storage', 'install', 'devenv', 'version.ts'],
  cli: [
    'api',
    'machines',
    'flink',
    'autoscaler',
    'storage',
    'kube',
    'observability',
    'bootstrap',
    'visualizer',
    'supervisor',
    'control-api',
    'devenv',
    'install',
    'operator',
    'node-agent',
    'demo',
    'version.ts',
  ],
};

const ROOMS = Object.keys(ALLOWED_IMPORTS);

/**
 * Relative specifiers that reach `target` from a file of `room`: `../x/...` and `../../x/...` from a
 * file one or two folders below src/ (src/cli/commands is the one second level today), `./x/...`
 * from src/version.ts.
 */
function specifiersOf(room, target) {
  const prefixes = room.endsWith('.ts') ? ['./'] : ['../', '../../'];
  return prefixes.flatMap((prefix) =>
    target.endsWith('.ts') ? [`${prefix}${target}`] : [`${prefix}${target}`, `${prefix}${target}/**`],
  );
}

function forbiddenRooms(room) {
  return ROOMS.filter((target) => target !== room && !ALLOWED_IMPORTS[room].includes(target));
}

/** One pattern per forbidden room, so the message names the direction that is not allowed. */
function roomPatterns(room) {
  return forbiddenRooms(room).map((target) => ({
    group: specifiersOf(room, target),
    message: `src/${room} may not import src/${target} (directions table of docs/architecture.md).`,
  }));
}

const MACHINES_PURITY = {
  group: ['undici', '@kubernetes/*', 'pino', 'prom-client', 'node:*'],
  message: 'Machines are pure: side effects live behind ports (ADR 0001).',
};

/**
 * `no-restricted-imports` reads static imports and re-exports only; this selector gives dynamic
 * `import('../x/...')` of a forbidden room the same verdict. esquery ends a regex at its first
 * slash, so the slash is written \x2F.
 */
function dynamicImportSelector(room) {
  const forbidden = forbiddenRooms(room).map((target) => target.replace('.', '\\.'));
  const prefix = room.endsWith('.ts') ? '\\.\\x2F' : '(\\.\\.\\x2F){1,2}';
  return `ImportExpression > Literal.source[value=/^${prefix}(${forbidden.join('|')})(\\x2F|$)/]`;
}

// A later block's `no-restricted-imports` replaces an earlier one's for the same file, so each
// room gets exactly one block, and the machines' purity patterns live in the machines' block.
const roomBlocks = ROOMS.map((room) => ({
  files: room.endsWith('.ts') ? [`src/${room}`] : [`src/${room}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: room === 'machines' ? [MACHINES_PURITY, ...roomPatterns(room)] : roomPatterns(room) },
    ],
    ...(forbiddenRooms(room).length > 0 && {
      'no-restricted-syntax': [
        'error',
        {
          selector: dynamicImportSelector(room),
          message: `src/${room} may import only ${ALLOWED_IMPORTS[room].join(', ') || 'its own files'} (directions table of docs/architecture.md).`,
        },
      ],
    }),
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'test-results/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...roomBlocks,
  {
    files: ['src/machines/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Machines get time from events or input.' },
      ],
    },
  },
);
