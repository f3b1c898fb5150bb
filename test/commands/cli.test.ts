// The yargs parser as main.ts builds it: commands run without yargs rendering help text they never show,
// help is still there when asked for, and source options cannot be given empty.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCli } from '../../src/cli.js';
import { REPO_ROOT } from '../helpers/refdata.js';

type Usage = { hasCachedHelpMessage(): boolean };
const usageOf = (cli: object) => (cli as { getInternalMethods(): { getUsageInstance(): Usage } }).getInternalMethods().getUsageInstance();

test('running a command leaves no help text rendered (yargs would cache it; nothing shows it)', async () => {
  const cli = buildCli(['topo', '--dump', '/nonexistent/dump']).fail((msg, err) => {
    throw err ?? new Error(msg);
  });
  await assert.rejects(cli.parseAsync(), /nonexistent/);
  assert.equal(usageOf(cli).hasCachedHelpMessage(), false);
});

test('help is still rendered when asked for', async () => {
  let out = '';
  const cli = buildCli(['topo', '--help']).exitProcess(false);
  await cli.parseAsync([], {}, (_err, _argv, output) => {
    out = output;
  });
  assert.match(out, /Show the PCIe fabric/);
  assert.match(out, /--root/);
});

test('an empty --root, --dump or --pci-ids is a usage error, not a quiet read of the live machine', () => {
  const bin = path.join(REPO_ROOT, 'bin/p2p.js');
  for (const args of [['topo', '--root'], ['topo', '--dump', ''], ['show', 'nvme0', '--pci-ids=']]) {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^p2p: --(root|dump|pci-ids) needs a value \(see 'p2p --help'\)\n$/, args.join(' '));
  }
});
