// defineLazy and lazyFromSelf: computed once on first read, then an ordinary enumerable property.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineLazy, lazyFromSelf } from '../src/lazy-property.js';

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

test('lazyFromSelf: one descriptor for many objects, each computed from itself on first read', () => {
  interface Item { n: number; square?: number }
  let calls = 0;
  const square = lazyFromSelf<Item, 'square'>('square', (self) => {
    calls++;
    return self.n * self.n;
  });
  const items: Item[] = [2, 3, 4].map((n) => Object.defineProperty({ n }, 'square', square));
  assert.equal(calls, 0);
  assert.deepEqual(Object.keys(items[0]), ['n', 'square']);
  assert.equal(items[1].square, 9);
  assert.equal(calls, 1, 'only the object read');
  assert.equal(JSON.stringify(items), '[{"n":2,"square":4},{"n":3,"square":9},{"n":4,"square":16}]');
  assert.equal(calls, 3);
  void items[1].square;
  assert.equal(calls, 3, 'kept after the first read');
  assert.deepEqual(Object.getOwnPropertyDescriptor(items[2], 'square'), { value: 16, enumerable: true, configurable: true, writable: true });
  const set = Object.defineProperty({ n: 5 } as Item, 'square', square);
  set.square = 1;
  assert.equal(set.square, 1);
  assert.equal(calls, 3, 'an assignment first computes nothing');
});
