#!/usr/bin/env node
// p2p command-line entry. Runs the CLI bundle (dist/cli/p2p.cjs, made by `npm run build`) through a V8 code
// cache, because compiling the CLI is most of its start-up on Node 20, which caches nothing itself.
// CommonJS (bin/package.json says so): an ES module entry would start Node's ES module loader for nothing.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const dir = path.join(__dirname, '../dist/cli');
const bundle = path.join(dir, 'p2p.cjs');
const cacheFile = `${bundle}.cache`;

let source;
try {
  source = fs.readFileSync(bundle, 'utf8');
} catch {
  process.stderr.write(`p2p: not built yet (${bundle} is missing): run npm run build in the p2p directory\n`);
  process.exit(2);
}
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  /* none yet: compiled from source, and the cache is written at exit */
}

// The same wrapper Node gives a CommonJS module, on the first line so positions in stack traces hold.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  // After the run, so the cache also holds the functions this run compiled lazily. Written aside and
  // renamed: parallel runs never see half a file. A read-only install just goes without.
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}`;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  });
}
// The CLI bundle cannot hold Ink (see scripts/bundle.mjs); `p2p tui` loads the TUI's Ink side through this.
globalThis[Symbol.for('p2p.loadInkApp')] = () => import(pathToFileURL(path.join(dir, 'tui/ink-app.js')).href);
const cliModule = { exports: {} };
script.runInThisContext().call(cliModule.exports, cliModule.exports, createRequire(bundle), cliModule, bundle, dir);
