#!/usr/bin/env node
// Run by `npm install` when `node-gyp rebuild` fails: warn, explain what still works, exit 0 so the
// install succeeds. Plain JS (runs before TypeScript is built); no dependencies.
const lines = [
  '',
  'p2p: WARNING: the native addon (build/Release/p2p_native.node) could not be built.',
  '  Still works: everything that reads sysfs trees or lspci dumps (config space is then read with',
  '  plain fs reads), and --help.',
  '  Needs the addon: p2p bench.',
  '  To build it: install a C++17 compiler, make and python3 (Debian/Ubuntu: apt-get install -y',
  '  build-essential python3), then run: npx node-gyp rebuild',
  '  `p2p doctor` (or addonStatus() in src/native/addon.ts) reports why the addon is unavailable.',
  '',
];
process.stderr.write(lines.join('\n'));
process.exitCode = 0;
