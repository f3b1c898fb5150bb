// Bundles the compiled CLI (dist/src/main.js) into dist/cli/, which bin/p2p.js runs. Loading ~100 ES
// modules one by one is most of p2p's start-up on Node 20 (no module compile cache there); one bundle with
// code splitting keeps lazy imports lazy (React/Ink load only for the TUI, bench and doctor only when used).
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const shim = fileURLToPath(new URL('./bundle-shims/string-width.js', import.meta.url));

/** Routes every `string-width` import to the lazy shim, except the shim's own import of the real one. */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === shim ? undefined : { path: shim }));
  },
};

const outdir = `${repo}dist/cli`;
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: repo,
  entryPoints: { main: 'dist/src/main.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Ink imports its devtools bridge only when DEV=true; the package is not installed.
  external: ['react-devtools-core'],
  // React's and the reconciler's production builds: the development ones are twice the size to load.
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [lazyStringWidth],
  // CommonJS packages in the bundle require() Node built-ins, and ES module output has no `require`.
  banner: { js: "import { createRequire as __p2pCreateRequire } from 'node:module'; const require = __p2pCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});

// Which sources went into which output file: lets a test tell, from the files a run loaded, whether
// React or Ink came with them (test/commands/lazy-load.test.ts). Not part of the shipped CLI.
const inputsByOutput = {};
for (const [out, meta] of Object.entries(result.metafile.outputs)) inputsByOutput[basename(out)] = Object.keys(meta.inputs);
writeFileSync(`${repo}dist/cli-inputs.json`, JSON.stringify(inputsByOutput) + '\n');
