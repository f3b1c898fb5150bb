// Snapshot in the guest, replay on the host: for every lab run that captured `p2p snapshot`, the
// host's answers from the snapshot must equal the guest's answers on the machine itself.
// Needs lab results (npm run lab) from a guest whose init.sh runs:
//   run_p2p snapshot snapshot -o "$R/snapshot.tar.gz"
// Results are read from $P2P_LAB_OUT, default test/lab/out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT } from '../helpers/refdata.js';
import { runCli } from '../helpers/run-cli.js';

const OUT = process.env.P2P_LAB_OUT ? path.resolve(process.env.P2P_LAB_OUT) : path.join(REPO_ROOT, 'test/lab/out');
const HOOK = 'test/lab/guest/init.sh runs it: look at that fabric\'s console.log';

interface CommandRun {
  exitCode: number | null;
  timedOut?: boolean;
  stdout: string;
  json: unknown;
}
interface LabResultLite {
  fabric: string;
  status: string;
  guest: { commands: Record<string, CommandRun> };
}

function results(): { file: string; r: LabResultLite }[] {
  if (!fs.existsSync(OUT)) return [];
  return fs.readdirSync(OUT).filter((f) => f.endsWith('.json')).sort().flatMap((f) => {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(OUT, f), 'utf8')) as LabResultLite;
      return r && typeof r.fabric === 'string' && r.guest ? [{ file: f, r }] : [];
    } catch {
      return [];
    }
  });
}

/** Why a guest command's output cannot serve as the reference, or false when it can. */
function unusable(run: CommandRun | undefined, what: string): string | false {
  if (!run || run.json === null || run.json === undefined) return `the guest has no ${what} --json output`;
  if (run.timedOut || run.exitCode === 124) return `the guest's ${what} timed out`;
  return false;
}

function withoutSource(j: unknown): unknown {
  const o = { ...(j as Record<string, unknown>) };
  delete o.source;
  return o;
}

const found = results();
if (found.length === 0) {
  test('lab snapshot round trip', { skip: `no lab results in ${OUT}: run npm run lab (it needs the lab kernel: scripts/build-lab-kernel.sh --install-deps)` }, () => {});
}

for (const { r } of found) {
  const snap = path.join(OUT, r.fabric, 'guest', 'snapshot.tar.gz');
  const snapRun = r.guest.commands.snapshot;
  const skip = r.status !== 'ok' ? `lab run ${r.fabric} did not complete (${r.status})`
    : !snapRun ? `${r.fabric}: the guest did not run p2p snapshot (${HOOK})`
    : false;
  // The guest ran p2p snapshot: a missing archive is a failure of ours, not a reason to skip.
  const requireSnapshot = () => assert.ok(fs.existsSync(snap), `${r.fabric}: the guest's p2p snapshot wrote no archive (exit ${snapRun?.exitCode})`);

  test(`lab ${r.fabric}: topo --json from the guest's snapshot equals topo --json in the guest`, { skip: skip || unusable(r.guest.commands.topo, 'topo') }, () => {
    requireSnapshot();
    const guest = r.guest.commands.topo;
    const host = runCli(['topo', '--json', '--root', snap], {}, 120000);
    assert.equal(host.code, 0, host.stderr);
    const replay = JSON.parse(host.stdout) as { source: { method: string }; devices: unknown[] };
    assert.equal(replay.source.method, 'snapshot');
    assert.ok(replay.devices.length > 0);
    assert.deepEqual(withoutSource(replay), withoutSource(guest.json));
  });

  test(`lab ${r.fabric}: matrix --json from the snapshot equals the guest's`, { skip: skip || unusable(r.guest.commands.matrix, 'matrix') }, () => {
    requireSnapshot();
    const host = runCli(['matrix', '--json', '--vfs', '--root', snap], {}, 120000);
    assert.equal(host.code, r.guest.commands.matrix.exitCode, host.stderr);
    assert.deepEqual(withoutSource(JSON.parse(host.stdout)), withoutSource(r.guest.commands.matrix.json));
  });

  test(`lab ${r.fabric}: doctor check statuses from the snapshot equal the guest's`, {
    skip: skip || unusable(r.guest.commands.doctor, 'doctor'),
  }, () => {
    requireSnapshot();
    const host = runCli(['doctor', '--json', '--root', snap], {}, 120000);
    const statuses = (j: unknown) => Object.fromEntries(((j as { findings?: { id: string; status: string }[] }).findings ?? []).map((c) => [c.id, c.status]));
    const g = statuses(r.guest.commands.doctor.json);
    const h = statuses(JSON.parse(host.stdout));
    // io_uring is probed live in the guest; from a snapshot the sysctl decides. Same status expected.
    assert.ok(Object.keys(g).length > 0);
    assert.deepEqual(h, g);
  });
}
