// The yargs parser as main.ts builds it: commands run without yargs rendering help text they never show,
// and help is still there when asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCli } from '../../src/cli.js';

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
