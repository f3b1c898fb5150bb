// Stands in for every copy of `string-width` in the bundle. The real module builds an Intl.Segmenter when it
// loads (~15 ms each, and yargs, cliui, wrap-ansi and Ink bring three copies); p2p's text is nearly all
// printable ASCII, whose width is its length. Anything else goes to the real module, loaded on first need.
let real;

export default function stringWidth(text, options) {
  if (typeof text === 'string' && /^[\x20-\x7e]*$/.test(text)) return text.length;
  // esbuild turns this require of a bundled ES module into a lazy, synchronous initialiser.
  real ??= require('string-width').default;
  return real(text, options);
}
