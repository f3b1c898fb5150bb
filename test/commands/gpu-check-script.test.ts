// scripts/gpu-check.sh without a GPU: shellcheck-clean (when shellcheck is installed), and every step
// reports and the script goes on: the GPU steps skip with a reason, the rest pass, exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/refdata.js';

const script = join(REPO_ROOT, 'scripts/gpu-check.sh');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

test('gpu-check.sh is shellcheck-clean', { skip: has('shellcheck') ? false : 'shellcheck not installed' }, () => {
  execFileSync('shellcheck', [script], { stdio: 'pipe' });
});

test('gpu-check.sh on a machine without nvidia-smi: GPU steps skip, the others pass', { skip: has('nvidia-smi') ? 'this machine has nvidia-smi' : false }, () => {
  const out = mkdtempSync(join(tmpdir(), 'p2p-gpucheck-'));
  try {
    const r = spawnSync('bash', [script, join(out, 'o')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SKIP nvidia-smi: no nvidia-smi/);
    assert.match(r.stdout, /SKIP host-gpu: no GPU/);
    assert.match(r.stdout, /PASS topo/);
    assert.match(r.stdout, /PASS snapshot/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
