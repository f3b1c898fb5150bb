// Stands in for `assert` in the CLI bundle, where only yargs uses it, for two internal checks
// (strictEqual, notStrictEqual). Loading Node's assert costs ~3.5 ms of start-up for them.
function fail(message, fallback) {
  if (message instanceof Error) throw message;
  const e = new Error(message ?? fallback);
  e.code = 'ERR_ASSERTION';
  throw e;
}

export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, 'Expected values to be strictly equal');
}

export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail(message, 'Expected "actual" to be strictly unequal to "expected"');
}
