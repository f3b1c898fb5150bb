// src/access/doctor-facts.ts: what it reads under a root, and what it leaves unknown (with the reason).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatherDoctorFacts, parseAerCounterFile, parseProcModules, probeODirect } from '../../../src/access/doctor-facts.js';
import { openSource } from '../../../src/access/source.js';

const isLiveSource = (opts: { root?: string; dump?: string }) => openSource(opts).live;
import { parseKmsg } from '../../../src/access/kmsg.js';
import { UserError } from '../../../src/errors.js';
import { buildRoot, labRootSpec, tmpDir } from '../../helpers/doctor-fixtures.js';

test('parsers: /proc/modules, aer_dev_* files, /dev/kmsg records', () => {
  assert.deepEqual(parseProcModules('nvidia_fs 262144 0 - Live 0x0\nnvidia 56000000 3 nvidia_fs, Live 0x0\n'), ['nvidia_fs', 'nvidia']);
  assert.deepEqual(parseAerCounterFile('RxErr 2\nBadTLP 1\nTOTAL_ERR_COR 3\n'), { entries: { RxErr: 2, BadTLP: 1 }, total: 3 });
  assert.deepEqual(parseAerCounterFile('RxErr 2\nBadTLP 1\n'), { entries: { RxErr: 2, BadTLP: 1 }, total: 3 });
  assert.equal(parseKmsg(['6,1234,5678,-;nvme nvme0: pci function 0000:03:00.0\n SUBSYSTEM=pci\n', '4,1235,5679,-;DMAR: fault\n']), 'nvme nvme0: pci function 0000:03:00.0\nDMAR: fault');
});

test('a captured root: modules, cufile.json, io_uring sysctl, saved dmesg, AER counters', () => {
  const spec = labRootSpec({ dmesg: 'hello\n' });
  spec.modules = ['nvme', 'nvidia_fs'];
  spec.etc = { cufile: '{"properties": {}}' };
  spec.ioUringDisabled = 1;
  spec.devices[5].aer = { correctable: { RxErr: 4 }, nonfatal: { CmpltTO: 0 }, fatal: {} };
  const root = buildRoot(spec);
  const f = gatherDoctorFacts({ root });
  assert.equal(f.live, false);
  assert.ok(f.modules.known && f.modules.value.includes('nvidia_fs'));
  assert.ok(f.cufile.known && f.cufile.value?.text.includes('properties'));
  assert.ok(f.ioUringDisabled.known && f.ioUringDisabled.value === 1);
  assert.ok(f.dmesg.known && f.dmesg.value === 'hello\n');
  assert.ok(f.aerCounters.known);
  const c = f.aerCounters.known ? f.aerCounters.value.get(spec.devices[5].bdf) : undefined;
  assert.equal(c?.totals.correctable, 4);
  assert.equal(c?.totals.nonfatal, 0);
  assert.equal(f.ioUringProbe.known, false, 'no probing of a captured tree');
  assert.equal(f.odirect.known, false);
});

test('missing pieces of a capture are unknown with a reason, or a known absence when the directory exists', () => {
  const spec = labRootSpec();
  spec.modules = undefined;
  spec.etc = undefined;
  spec.ioUringDisabled = undefined;
  const root = buildRoot(spec);
  const f = gatherDoctorFacts({ root });
  assert.equal(f.modules.known, false);
  assert.ok(!f.modules.known && /proc\/modules/.test(f.modules.reason));
  assert.ok(!f.cufile.known && /etc/.test(f.cufile.reason), 'no etc/ at all: cannot say cufile.json is absent');
  assert.ok(f.ioUringDisabled.known && f.ioUringDisabled.value === null, 'proc/sys/kernel exists without the sysctl: an older kernel');
  assert.ok(!f.dmesg.known && /--dmesg/.test(f.dmesg.reason));
  fs.mkdirSync(path.join(root, 'etc'));
  const g = gatherDoctorFacts({ root });
  assert.ok(g.cufile.known && g.cufile.value === null);
});

test('a dump source: every environment fact unknown, except a --dmesg file', () => {
  const dir = tmpDir();
  const log = path.join(dir, 'dmesg.txt');
  fs.writeFileSync(log, 'AER: Corrected error\n');
  const f = gatherDoctorFacts({ dump: '/nonexistent/dump.txt', dmesg: log });
  for (const k of ['modules', 'cufile', 'ioUringDisabled', 'ioUringProbe', 'aerCounters', 'odirect'] as const) {
    assert.equal(f[k].known, false, k);
  }
  assert.ok(f.dmesg.known && f.dmesg.value.includes('AER'));
  assert.throws(() => gatherDoctorFacts({ dump: 'x', dmesg: path.join(dir, 'none.txt') }), UserError);
});

test('live source detection and the O_DIRECT probe', () => {
  assert.equal(isLiveSource({}), true);
  assert.equal(isLiveSource({ root: '/' }), true);
  assert.equal(isLiveSource({ root: '/tmp/x' }), false);
  assert.equal(isLiveSource({ dump: 'x' }), false);
  const file = path.join(tmpDir(), 'bench.bin');
  fs.writeFileSync(file, Buffer.alloc(8192));
  const p = probeODirect(file);
  assert.equal(p.path, file);
  assert.equal(typeof p.ok, 'boolean');
  if (!p.ok) assert.match(p.error ?? '', /^E[A-Z]+:/);
  assert.equal(typeof p.fsType, 'string', 'the filesystem holding it is named from mountinfo');
  assert.throws(() => probeODirect(path.join(tmpDir(), 'missing')), /no such file/);
  const f = gatherDoctorFacts({ root: '/', file, ioUringProbe: () => ({ available: false, reason: 'EPERM' }) });
  assert.ok(f.odirect.known);
  assert.ok(f.ioUringProbe.known && f.ioUringProbe.value.reason === 'EPERM');
  const off = gatherDoctorFacts({ root: buildRoot(labRootSpec()), file });
  assert.ok(!off.odirect.known && /live|machine p2p runs on/.test(off.odirect.reason));
});

test('a p2p snapshot archive as --root: the facts come from inside it', async () => {
  const { captureSnapshot } = await import('../../../src/access/snapshot-writer.js');
  const { writeTar } = await import('../../../src/access/tar.js');
  const spec = labRootSpec({ dmesg: undefined });
  spec.modules = ['nvidia', 'nvidia_fs'];
  spec.etc = { cufile: '{"properties": {"use_pci_p2pdma": true}}' };
  spec.ioUringDisabled = 2;
  const root = buildRoot(spec);
  fs.writeFileSync(path.join(root, 'dmesg.txt'), 'DMAR: DRHD: handling fault status reg 2\n');
  const cap = captureSnapshot({ root, uid: 0, hostname: 'lab' });
  const file = path.join(tmpDir(), 'snap.tar');
  fs.writeFileSync(file, writeTar(cap.entries));
  const f = gatherDoctorFacts({ root: file });
  assert.equal(f.live, false);
  assert.ok(f.modules.known && f.modules.value.includes('nvidia_fs'), JSON.stringify(f.modules));
  assert.ok(f.cufile.known && f.cufile.value?.text.includes('use_pci_p2pdma'));
  assert.ok(f.ioUringDisabled.known && f.ioUringDisabled.value === 2);
  assert.ok(f.dmesg.known && f.dmesg.value.includes('DMAR'));
  assert.match(f.modules.known ? f.modules.source : '', /snap\.tar:proc\/modules/);
});
