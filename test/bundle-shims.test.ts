// The bundles' stand-in for string-width (scripts/bundle-shims/string-width.js) must give the real
// module's answer wherever it answers itself: every character of its fast set, alone, in runs and
// wrapped in colour codes; and it must leave everything else to the real module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import stringWidth from 'string-width';
// @ts-expect-error: a plain JS module of the build scripts, without types
import { fastWidth } from '../../scripts/bundle-shims/string-width.js';

const fast = fastWidth as (text: unknown, options?: object) => number | undefined;

test('every character the fast rule answers, it answers as string-width does', () => {
  let answered = 0;
  for (let cp = 0; cp < 0x10000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCharCode(cp);
    const w = fast(ch);
    if (w === undefined) continue;
    answered++;
    assert.equal(w, stringWidth(ch), `U+${cp.toString(16).padStart(4, '0')}`);
  }
  assert.ok(answered > 1200, `${answered} characters answered`);
});

test('lines as the TUI and the text views draw them, coloured or not', () => {
  const lines = [
    '├─ ▾ 0000:00:01.0 16GT/s x16 n0 root port Intel Corporation PCI bridge [pcieport]',
    '│  └─   nic12 0000:05:02.4 16GT/s x16 n0 NIC ConnectX … [mlx5_c…',
    '\x1b[1m\x1b[37m0000:17:00.0\x1b[39m\x1b[22m \x1b[35mroot port\x1b[39m \x1b[90m[\x1b[39m8GT/s x16\x1b[90m · \x1b[39mnuma 0\x1b[90m]\x1b[39m',
    '✓ ok  ✗ fail  ● ○ ▁▂▃▄▅▆▇█ ░ ◀ ▶ ↔ → ← ↑ ↓ › • — µ',
    '',
  ];
  for (const line of lines) {
    assert.equal(fast(line), stringWidth(line), line);
    assert.equal(fast(line, { countAnsiEscapeCodes: true }) ?? stringWidth(line, { countAnsiEscapeCodes: true }), stringWidth(line, { countAnsiEscapeCodes: true }), line);
  }
});

test('the rest is left to the real module', () => {
  for (const text of ['漢字', 'e\u0301', '👍', 'a\u200bb', '\x1b]8;;http://x\x07link\x1b]8;;\x07', 'tab\there', '\u00ad', '⌚', '\u25fd']) {
    assert.equal(fast(text), undefined, JSON.stringify(text));
  }
  assert.equal(fast('·', { ambiguousIsNarrow: false }), undefined, 'ambiguous characters are wide on request');
  assert.equal(fast(42), undefined);
});
