#!/usr/bin/env node
// p2p command-line entry: runs the bundled CLI that `npm run build` writes to dist/cli/.
try {
  await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js')) throw e;
  process.stderr.write('p2p: not built yet (dist/cli/main.js is missing): run npm run build in the p2p directory\n');
  process.exitCode = 2;
}
