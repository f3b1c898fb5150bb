// UserError is recognised across the CLI and TUI bundles' copies of the class; subclasses check normally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../src/errors.js';
import { AddonUnavailableError } from '../src/native/addon.js';

test('instanceof UserError: own errors, another copy of the class, not plain errors', () => {
  assert.ok(new UserError('x') instanceof UserError);
  assert.ok(new AddonUnavailableError('y') instanceof UserError);
  // What a UserError from the other bundle looks like: an Error carrying the shared brand.
  const fromOtherCopy = Object.assign(new Error('z'), { [Symbol.for('p2p.UserError')]: true, exitCode: 2 });
  assert.ok(fromOtherCopy instanceof UserError);
  assert.ok(!(new Error('plain') instanceof UserError));
  for (const other of [null, undefined, 'text', 42] as unknown[]) assert.ok(!((other as object) instanceof UserError));
});

test('subclasses keep the prototype check', () => {
  assert.ok(new AddonUnavailableError('y') instanceof AddonUnavailableError);
  assert.ok(!(new UserError('x') instanceof AddonUnavailableError));
});
