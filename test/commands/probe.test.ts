// `p2p probe` as a user runs it: bad input is one line and exit 2, offline sources are refused, the
// JSON lists one result per consumer, and a missing addon makes every consumer a skip that says why.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { resolveProvider } from '../../src/access/peer-probe.js';
import { runProbe } from '../../src/commands/probe.js';
import { collectIO } from '../helpers/collect-io.js';
import { directTempDir } from '../native/helpers.js';

const dir = directTempDir('p2p-probe-cli-');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('p2p probe: bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown provider', ['probe', 'gpu0'], /PROVIDER must be/],
    ['a BDF that is not here', ['probe', '0000:7f:1f.7'], /no PCI function 0000:7f:1f.7/],
    ['a DAX node that is not here', ['probe', '/dev/dax7.7'], /no \/dev\/dax7.7/],
    ['a size that is not a multiple of 4k', ['probe', 'host', '--size', '5000'], /--size must be a multiple of 4k/],
    ['an unparsable size', ['probe', 'host', '--size', 'lots'], /--size/],
    ['--device that is not a block device', ['probe', 'host', '--device', '/etc/hostname'], /--device \/etc\/hostname is not a block device/],
    ['--file that is not a directory', ['probe', 'host', '--file', '/etc/hostname'], /is not a directory/],
    ['--file that does not exist', ['probe', 'host', '--file', '/nonexistent-p2p'], /--file \/nonexistent-p2p: ENOENT/],
    ['--rdma with a path', ['probe', 'host', '--rdma', '/dev/infiniband/uverbs0'], /--rdma takes an RDMA device name/],
    ['an lspci dump as the source', ['probe', 'host', '--dump', '/etc/hostname'], /p2p probe needs this machine/],
  ];
  for (const [what, args, re] of cases) {
    it(`${what}: one line, exit 2`, () => {
      const r = runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, re);
    });
  }
});

describe('p2p probe --json', () => {
  it('lists one result per consumer with consumer, accepted, errno and bytesVerified', () => {
    const r = runCli(['probe', 'host', '--file', dir, '--size', '64k', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.schema, 'p2p.probe/1');
    assert.equal(doc.provider.kind, 'host');
    assert.equal(doc.size, 65536);
    assert.equal(doc.results.length, 11);
    for (const x of doc.results) {
      assert.equal(typeof x.consumer, 'string');
      assert.equal(typeof x.accepted, 'boolean');
      assert.ok(x.errno === null || typeof x.errno === 'string');
      assert.equal(typeof x.bytesVerified, 'number');
    }
    const read = doc.results.find((x: { consumer: string }) => x.consumer === 'odirect-read-file');
    assert.deepEqual([read.accepted, read.errno, read.bytesVerified], [true, null, 65536]);
    const w = doc.results.find((x: { consumer: string }) => x.consumer === 'odirect-write-file');
    assert.equal(w.accepted, false, 'read-only without --write');
  });

  it('the text view names every consumer and sums up', () => {
    const r = runCli(['probe', 'host', '--file', dir, '--size', '64k']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^p2p probe: host memory \(64 KiB mapped\), 64 KiB per consumer, read-only/);
    assert.match(r.stdout, /odirect-read-file\s+accepted\s+64 KiB/);
    assert.match(r.stdout, /4 of 4 consumer\(s\) asked took the memory; 7 not asked/);
  });

  it('without the addon every consumer is a skip that says why, exit 1', () => {
    const r = runCli(['probe', 'host', '--json'], { P2P_NO_ADDON: '1' });
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.results.length, 11);
    for (const x of doc.results) assert.match(x.detail, /native addon unavailable: disabled by P2P_NO_ADDON=1/);
  });
});

describe('resolveProvider', () => {
  const root = mkdtempSync(join(tmpdir(), 'p2p-probe-root-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'sys/bus/pci/devices/0000:01:00.0/p2pmem'), { recursive: true });
  writeFileSync(join(root, 'sys/bus/pci/devices/0000:01:00.0/p2pmem/allocate'), '');
  mkdirSync(join(root, 'sys/bus/pci/devices/0000:02:00.0'), { recursive: true });
  it('a BDF (short or long) with p2pmem maps its allocate file; one without says so', () => {
    assert.equal(resolveProvider('01:00.0', root).path, join(root, 'sys/bus/pci/devices/0000:01:00.0/p2pmem/allocate'));
    assert.equal(resolveProvider('0000:01:00.0', root).kind, 'p2pmem');
    assert.throws(() => resolveProvider('0000:02:00.0', root), /0000:02:00.0 publishes no p2pmem/);
  });
  it('udmabuf needs the device node', () => {
    assert.throws(() => resolveProvider('udmabuf', root), /no .*dev\/udmabuf.*CONFIG_UDMABUF/);
    mkdirSync(join(root, 'dev'), { recursive: true });
    writeFileSync(join(root, 'dev/udmabuf'), '');
    assert.equal(resolveProvider('udmabuf', root).kind, 'udmabuf');
  });
  it('a mapping failure is one line naming what was attempted', async () => {
    const io = collectIO();
    await assert.rejects(runProbe({ provider: 'host' }, io, {
      root, addonProblem: () => null,
      probe: () => { throw Object.assign(new Error('open /dev/udmabuf: ENOENT (No such file or directory)'), { code: 'ENOENT' }); },
    }), /cannot map the memory to probe: open \/dev\/udmabuf: ENOENT/);
  });
});
