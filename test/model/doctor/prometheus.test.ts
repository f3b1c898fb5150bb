// The Prometheus exposition: escaping, and the strict test parser really rejects what it must.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHelp, escapeLabelValue, renderPrometheus } from '../../../src/format/prometheus.js';
import { runDoctorChecks } from '../../../src/model/doctor/index.js';
import { familyOf, parsePrometheusText } from '../../helpers/doctor-prom.js';
import { labFabric, INTEL_HOST } from '../../helpers/p2p-fabric.js';
import { input, known } from '../../helpers/doctor-fixtures.js';

test('escaping: label values escape backslash, quote and newline; HELP escapes backslash and newline', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(escapeHelp('x\\y\nz "q"'), 'x\\\\y\\nz "q"');
});

test('the test parser rejects malformed exposition text', () => {
  const ok = '# HELP m A metric.\n# TYPE m gauge\nm{a="x"} 1\n';
  assert.equal(parsePrometheusText(ok).length, 1);
  const bad: [string, RegExp][] = [
    ['m 1\n', /without HELP and TYPE/],
    ['# HELP m h\n# TYPE m gauge\nm{a="x"} 1\nm{a="x"} 2\n', /duplicate series/],
    ['# HELP m h\n# TYPE m gauge\nm{a="x\\q"} 1\n', /bad escape/],
    ['# HELP m h\n# TYPE m gauge\nm 1 1700000000000\n', /timestamps/],
    ['# HELP m h\n# TYPE m gauge\nm{a=x} 1\n', /quoted/],
    ['# HELP m h\n# TYPE m gauge\nm one\n', /bad sample value/],
    ['# HELP m h\n# TYPE m gauge\nm 1', /newline/],
    ['# HELP m h\n# TYPE m bogus\nm 1\n', /bad TYPE/],
    ['# HELP m h\n# TYPE m counter\nm -1\n', /negative/],
    ['# HELP m h\n# TYPE m gauge\nm 1\n# HELP n h\n# TYPE n gauge\nn 1\nm{b="1"} 2\n', /not contiguous|again/],
    ['# HELP 1m h\n# TYPE 1m gauge\n', /bad metric name/],
    ['# HELP m h\n# TYPE m gauge\nm{__x="1"} 1\n', /reserved/],
  ];
  for (const [text, re] of bad) assert.throws(() => parsePrometheusText(text), re, text);
});

test('renderPrometheus on the lab fabric: parses, pair verdicts one-hot, check status one-hot, odd label values escaped', () => {
  const f = labFabric({ host: { ...INTEL_HOST, kernelRelease: '6.12.117 "quoted"\\x' } });
  f.byBdf.get('0000:03:00.0')!.alias = 'nvme"0\\\n';
  const aer = new Map([['0000:03:00.0', { correctable: { RxErr: 3 }, nonfatal: {}, fatal: {}, totals: { correctable: 3, nonfatal: 0, fatal: 0 } }]]);
  const inp = input(f, { aerCounters: known(aer, 'test') });
  const report = runDoctorChecks(inp);
  const text = renderPrometheus(inp, report, { now: 1700000000 });
  const fams = parsePrometheusText(text);
  const status = familyOf(fams, 'p2p_doctor_check_status');
  assert.equal(status.samples.length, report.findings.length * 4);
  for (const fd of report.findings) {
    const on = status.samples.filter((s) => s.labels.check === fd.id && s.value === 1);
    assert.deepEqual(on.map((s) => s.labels.status), [fd.status]);
  }
  const pairs = familyOf(fams, 'p2p_pair_p2pdma_map_type');
  const cross = pairs.samples.filter((s) => s.value === 1 && [s.labels.client, s.labels.provider].sort().join() === '0000:03:00.0,0000:05:00.0');
  assert.deepEqual(cross.map((s) => s.labels.map_type), ['NOT_SUPPORTED']);
  const inSwitch = pairs.samples.filter((s) => s.value === 1 && [s.labels.client, s.labels.provider].sort().join() === '0000:03:00.0,0000:04:00.0');
  assert.deepEqual(inSwitch.map((s) => s.labels.map_type), ['BUS_ADDR']);
  const nameLabel = pairs.samples.find((s) => s.labels.provider === '0000:03:00.0')!.labels.provider_name;
  assert.equal(nameLabel, 'nvme"0\\\n', 'escaped on the way out, unescaped by the parser');
  assert.equal(familyOf(fams, 'p2p_doctor_info').samples[0].labels.kernel, '6.12.117 "quoted"\\x');
  const aerFam = familyOf(fams, 'p2p_pcie_aer_errors_total');
  assert.equal(aerFam.type, 'counter');
  assert.equal(aerFam.samples.find((s) => s.labels.severity === 'correctable')!.value, 3);
  assert.equal(familyOf(fams, 'p2p_doctor_exit_code').samples[0].value, report.exitCode);
  assert.equal(familyOf(fams, 'p2p_doctor_last_run_timestamp_seconds').samples[0].value, 1700000000);
  const down = familyOf(fams, 'p2p_pcie_link_downgraded');
  assert.ok(down.samples.every((s) => s.value === 0), 'the lab links run at full speed');
});

test('a downgraded link shows as 1 with its speeds', () => {
  const f = labFabric();
  f.byBdf.get('0000:05:00.0')!.link = { speed: 2.5, width: 1, maxSpeed: 8, maxWidth: 4 };
  const inp = input(f);
  const fams = parsePrometheusText(renderPrometheus(inp, runDoctorChecks(inp)));
  const s = familyOf(fams, 'p2p_pcie_link_downgraded').samples.find((x) => x.labels.bdf === '0000:05:00.0')!;
  assert.equal(s.value, 1);
  assert.equal(familyOf(fams, 'p2p_pcie_link_speed_gts').samples.find((x) => x.labels.bdf === '0000:05:00.0')!.value, 2.5);
  assert.equal(familyOf(fams, 'p2p_pcie_link_max_width_lanes').samples.find((x) => x.labels.bdf === '0000:05:00.0')!.value, 4);
  assert.throws(() => familyOf(fams, 'p2p_doctor_last_run_timestamp_seconds'), 'no timestamp metric without now');
});
