// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Module boundaries (STYLE.md §1): imports flow from app.ts, main.ts and cli.ts
// into the domains (accounts, catalog, booking), and from the domains into
// the technical folders (db, http, shared), never back. The import strings are
// relative, so these patterns match the folder names in them.
const importsADomain = {
  regex: '(^|/)(accounts|booking|catalog|pricing|orders)(/|$)',
  message: 'src/db, src/http and src/shared import no domain (accounts, catalog, booking, pricing, orders).',
};
const catalogImportsBooking = {
  regex: '(^|/)booking(/|$)',
  message: 'The catalog never imports booking: it receives the booking functions it needs as ShowtimeSeats (catalog.ports.ts), passed in by app.ts, main.ts and cli.ts.',
};
const catalogImportsPricing = {
  regex: '(^|/)pricing(/|$)',
  message: 'The catalog never imports pricing (pricing writes its audit rows through the catalog: a cycle): it receives priceRanges as ShowtimePriceRanges (catalog.ports.ts), passed in by app.ts.',
};
const domainInternals = {
  regex: '^\\.\\./(accounts|booking|catalog|pricing|orders)/(?!index\\.ts$)',
  message: 'Another domain is used only through its index.ts.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'web/dist/', 'test-results/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Fastify plugins, hooks and handlers are async by convention, with or without an await.
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
    },
  },
  {
    // Tests read JSON replies as `any`: asserting their shape is the test's job.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The web app runs in the browser and imports nothing from src/ (it has its own tsconfig, web/tsconfig.json).
    files: ['web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  // Module boundaries (docs/architecture.md): checked, not only written down.
  {
    files: ['src/db/**', 'src/http/**', 'src/shared/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [importsADomain] }] },
  },
  {
    files: ['src/catalog/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [catalogImportsBooking, catalogImportsPricing, domainInternals] }] },
  },
  {
    files: ['src/accounts/**', 'src/booking/**', 'src/pricing/**', 'src/orders/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [domainInternals] }] },
  },
  // web/ talks to /api only: no import climbs out of web/ (into src/ or anywhere else), at any depth.
  ...[1, 2, 3, 4, 5, 6].map((depth) => ({
    files: [`web/${'*/'.repeat(depth - 1)}*.{js,ts,tsx}`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: `^(\\.\\./){${depth},}`, message: 'web/ imports nothing outside web/ (it talks to the server through /api only).' }] },
      ],
    },
  })),
);
