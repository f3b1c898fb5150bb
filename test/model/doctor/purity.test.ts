// The doctor model is pure: no fs, no process, no colour, no React (STYLE.md: data flows access -> model -> format).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT } from '../../helpers/refdata.js';

test('src/model/doctor imports nothing from fs, process, chalk or React', () => {
  const dir = path.join(REPO_ROOT, 'src/model/doctor');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 8);
  for (const f of files) {
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of src.matchAll(/from '([^']+)'/g)) {
      assert.ok(m[1].startsWith('.'), `${f} imports ${m[1]}`);
      assert.doesNotMatch(m[1], /access\/(?!types)/, `${f} imports the access layer (${m[1]})`);
    }
    assert.doesNotMatch(src, /\bprocess\./, `${f} uses process`);
  }
});
