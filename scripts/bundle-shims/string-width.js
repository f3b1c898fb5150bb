// Stands in for every copy of `string-width` in the bundles. The real module builds an Intl.Segmenter when it
// loads (~15 ms each, and yargs, cliui, wrap-ansi and Ink bring three copies), and measures every string
// grapheme by grapheme; Ink measures each character of every frame this way (~10 ms a redraw). p2p's text
// is printable ASCII, the box-drawing, arrow and shape characters of its tree and tables, and colour codes:
// all one column a character, which fastWidth answers. Anything else goes to the real module, loaded on
// first need.
let real;

/** SGR colour and style codes (ESC [ ... m), which take no columns. */
const SGR = /\x1b\[[0-9;]*m/g;
/**
 * Characters one column wide whatever the East Asian Width context, with no combining, zero-width or
 * emoji-presentation ones among them: printable ASCII, Latin-1 and Latin Extended letters (not the soft
 * hyphen), general punctuation, arrows, mathematical operators, box drawing, block elements, geometric
 * shapes up to U+25FC, and the check and ballot marks. (test/bundle-shims.test.ts checks every one
 * against the real module.)
 */
const NARROW = /^[\x20-\x7e\xa0-\xac\xae-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2200-\u22ff\u2500-\u25fc\u2713\u2717]*$/;

/** The width when the fast rule knows it, else undefined (the real module decides). */
export function fastWidth(text, options) {
  if (typeof text !== 'string' || options?.ambiguousIsNarrow === false) return undefined;
  const visible = options?.countAnsiEscapeCodes || !text.includes('\x1b') ? text : text.replace(SGR, '');
  return NARROW.test(visible) ? visible.length : undefined;
}

export default function stringWidth(text, options) {
  const width = fastWidth(text, options);
  if (width !== undefined) return width;
  // esbuild turns this require of a bundled ES module into a lazy, synchronous initialiser.
  real ??= require('string-width').default;
  return real(text, options);
}
