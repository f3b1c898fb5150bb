// Bundles the compiled code (dist/src/) for bin/p2p.js. On Node 20 most of p2p's start-up was loading and
// compiling ~100 ES modules, and Node 20 has no module compile cache. So:
//   dist/cli/p2p.cjs        the CLI in one CommonJS file, which bin/p2p.js compiles with a V8 code cache
//   dist/cli/p2p.cjs.cache  that cache, made here by one representative run (and remade by bin/p2p.js
//                           whenever V8 rejects it, e.g. after a Node upgrade)
//   dist/cli/tui/           the TUI's Ink side (src/ui/ink-app.ts: Ink, React, the components) as ES
//                           modules: Ink's layout engine uses top-level await, which CommonJS cannot hold.
//                           Loaded only by `p2p tui`, after its first frame (drawn by the CLI bundle).
//   dist/cli-inputs.json    which sources went into which output (for test/commands/lazy-load.test.ts)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(repo, 'dist/cli');
const shim = fileURLToPath(new URL('./bundle-shims/string-width.js', import.meta.url));
const assertShim = fileURLToPath(new URL('./bundle-shims/assert.js', import.meta.url));
const supportsColorShim = fileURLToPath(new URL('./bundle-shims/supports-color.js', import.meta.url));

/** Routes every `string-width` import to the lazy shim, except the shim's own import of the real one. */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === shim ? undefined : { path: shim }));
  },
};

/** The CLI bundle's stand-ins for start-up costs it does not need (see each shim's header). */
const cliShims = {
  name: 'cli-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:)?assert$/ }, () => ({ path: assertShim }));
    b.onResolve({ filter: /^#supports-color$/ }, () => ({ path: supportsColorShim }));
  },
};

/**
 * Replaces one exact piece of a dependency's source as esbuild loads it (`append` goes at the end). The
 * build fails if the piece is gone, so an upgrade of the dependency cannot drop the change silently.
 */
function patchSource(name, filter, from, to, append = '') {
  return {
    name,
    setup(b) {
      b.onLoad({ filter }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes(from)) throw new Error(`${args.path}: no longer has "${from}"; update the ${name} patch in scripts/bundle.mjs`);
        return { contents: text.replace(from, to) + append, loader: 'js' };
      });
    },
  };
}

/**
 * yargs's platform shim reads process.stdout.columns when it loads, which makes Node create the stdout
 * stream (~4 ms, with net for a pipe) on every run, even one whose output never goes through it. The
 * same expression as a getter is read only when yargs wraps help text.
 */
const YARGS_COLUMNS = "stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null";
const lazyYargsColumns = patchSource('lazy-yargs-columns', /node_modules\/yargs\/lib\/platform-shims\/esm\.mjs$/,
  YARGS_COLUMNS, `get ${YARGS_COLUMNS.replace(': ', '() { return ')}; }`);

/**
 * Ink turns every line of every frame into styled characters (tokenize, grapheme checks) and measures
 * them, caching the results only for the one frame (a new Output per render). The results depend on the
 * line's text alone, so one cache serves all frames: moving the cursor redraws two changed lines instead
 * of tokenizing the whole screen again (~10 ms a redraw here). Emptied past 5000 lines so a long session
 * does not grow it without end.
 */
const inkSharedCaches = patchSource('ink-shared-caches', /node_modules\/ink\/build\/output\.js$/,
  'caches = new OutputCaches();', 'caches = framesCaches();',
  '\nlet sharedCaches;\nfunction framesCaches() {\n  if (!sharedCaches || sharedCaches.styledChars.size > 5000) sharedCaches = new OutputCaches();\n  return sharedCaches;\n}\n');

/** Keeps Ink out of the CLI bundle: bin/p2p.js hands the CLI a loader for dist/cli/tui/ instead. */
const inkOutside = {
  name: 'ink-outside',
  setup(b) {
    b.onResolve({ filter: /\/ink-app\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

const common = {
  absWorkingDir: repo,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // React's and the reconciler's production builds: the development ones are twice the size to load.
  define: { 'process.env.NODE_ENV': '"production"' },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
};

rmSync(outdir, { recursive: true, force: true });

const tui = await build({
  ...common,
  entryPoints: { 'ink-app': 'dist/src/ui/ink-app.js' },
  outdir: join(outdir, 'tui'),
  splitting: true,
  format: 'esm',
  // Ink imports its devtools bridge only when DEV=true; the package is not installed.
  external: ['react-devtools-core'],
  plugins: [lazyStringWidth, inkSharedCaches],
  // CommonJS packages in the bundle require() Node built-ins, and ES module output has no `require`.
  banner: { js: "import { createRequire as __p2pCreateRequire } from 'node:module'; const require = __p2pCreateRequire(import.meta.url);" },
});

const cli = await build({
  ...common,
  entryPoints: ['dist/src/main.js'],
  outfile: join(outdir, 'p2p.cjs'),
  format: 'cjs',
  define: { ...common.define, 'import.meta.url': '__p2pModuleUrl' },
  banner: { js: "var __p2pModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [lazyStringWidth, cliShims, lazyYargsColumns, inkOutside],
});

const inputsByOutput = {};
for (const result of [cli, tui]) {
  for (const [out, meta] of Object.entries(result.metafile.outputs)) inputsByOutput[relative(outdir, join(repo, out))] = Object.keys(meta.inputs);
}
const cliInputs = inputsByOutput['p2p.cjs'] ?? [];
const leaked = cliInputs.filter((i) => /node_modules\/(ink|react|react-reconciler|yoga-layout)\//.test(i));
if (leaked.length) throw new Error(`the CLI bundle must not hold the TUI's packages: ${leaked.slice(0, 3).join(', ')}`);
// Code run through vm.Script (bin/p2p.js) has no dynamic import(): the only one left must be the Ink
// side's fallback, which bin/p2p.js's loader replaces.
const dynamicImports = readFileSync(join(outdir, 'p2p.cjs'), 'utf8').match(/\bimport\(\s*[^)]*\)/g) ?? [];
if (dynamicImports.some((i) => !i.includes('/ink-app.js'))) throw new Error(`dynamic import() left in the CLI bundle: ${dynamicImports.join(', ')}`);
writeFileSync(join(repo, 'dist/cli-inputs.json'), JSON.stringify(inputsByOutput) + '\n');

// The code cache: bin/p2p.js writes it when it finds none. One `topo --json` on a small generated tree
// compiles what most commands use (yargs, the access layer, the model, JSON output).
const tree = mkdtempSync(join(tmpdir(), 'p2p-bundle-'));
try {
  const { generateFabric } = await import(join(repo, 'dist/bench/gen-fabric.js'));
  generateFabric(tree, { functions: 40 });
  const run = spawnSync(process.execPath, [join(repo, 'bin/p2p.js'), 'topo', '--json', '--root', tree], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bundle check run failed: ${run.stderr}`);
  JSON.parse(run.stdout);
  readFileSync(join(outdir, 'p2p.cjs.cache'));
} finally {
  rmSync(tree, { recursive: true, force: true });
}
