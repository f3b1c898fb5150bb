// defineLazy: computed once on first read, then an ordinary enumerable property.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineLazy } from '../src/lazy-property.js';

test('computed on first read only, in place, and seen by JSON, spreads and deep equality', () => {
  let calls = 0;
  const o = defineLazy({ a: 1, list: [] as number[], z: 2 }, 'list', () => {
    calls++;
    return [1, 2, 3];
  });
  assert.equal(calls, 0);
  assert.deepEqual(Object.keys(o), ['a', 'list', 'z'], 'keeps its place among the keys');
  assert.equal(JSON.stringify(o), '{"a":1,"list":[1,2,3],"z":2}');
  assert.equal(calls, 1);
  assert.deepEqual({ ...o }, { a: 1, list: [1, 2, 3], z: 2 });
  assert.equal(o.list, o.list);
  assert.equal(calls, 1, 'computed once');
  assert.deepEqual(Object.getOwnPropertyDescriptor(o, 'list'), { value: [1, 2, 3], enumerable: true, configurable: true, writable: true });
});

test('an assignment before the first read wins and computes nothing', () => {
  let calls = 0;
  const o = defineLazy({ v: 0 }, 'v', () => ++calls);
  o.v = 42;
  assert.equal(o.v, 42);
  assert.equal(calls, 0);
});
