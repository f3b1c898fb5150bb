// Semantic colour tokens. Components ask for `theme.status.bad`, never for "red". The palette follows
// the terminal: none under NO_COLOR (selection by inverse video only), the 16 basic colours on a
// 16-colour terminal, richer tones on 256-colour and true-colour terminals. No React here: the first frame
// is drawn with these before React loads (the context lives in theme-context.ts).
import { colorFromEnv } from '../io.js';

/** 0: no colour, 4: 16 colours, 8: 256 colours, 24: true colour. */
export type ColorDepth = 0 | 4 | 8 | 24;

/** Ink colour names or hex; undefined means "no colour" (the terminal's default). */
type C = string | undefined;

export interface Theme {
  depth: ColorDepth;
  text: { dim: C; heading: C; alias: C; bdf: C; kind: C; port: C };
  status: { ok: C; warn: C; bad: C; info: C; unknown: C };
  tab: { active: C; activeBg: C; inactive: C };
  /** The cursor line: with no colour, inverse video. */
  selection: { fg: C; bg: C; inverse: boolean };
  /** The highlighted (selected device's) row in the matrix. */
  highlight: { bg: C; bold: boolean };
  mark: C;
  bar: { fill: C; empty: C };
  legend: Record<'X' | 'PIX' | 'PXB' | 'PHB' | 'NODE' | 'SYS', C>;
}

const NONE: Theme = {
  depth: 0,
  text: { dim: undefined, heading: undefined, alias: undefined, bdf: undefined, kind: undefined, port: undefined },
  status: { ok: undefined, warn: undefined, bad: undefined, info: undefined, unknown: undefined },
  tab: { active: undefined, activeBg: undefined, inactive: undefined },
  selection: { fg: undefined, bg: undefined, inverse: true },
  highlight: { bg: undefined, bold: true },
  mark: undefined,
  bar: { fill: undefined, empty: undefined },
  legend: { X: undefined, PIX: undefined, PXB: undefined, PHB: undefined, NODE: undefined, SYS: undefined },
};

const BASIC: Theme = {
  depth: 4,
  text: { dim: 'gray', heading: 'white', alias: 'cyan', bdf: undefined, kind: 'magenta', port: 'gray' },
  status: { ok: 'green', warn: 'yellow', bad: 'red', info: 'cyan', unknown: 'gray' },
  tab: { active: 'black', activeBg: 'cyan', inactive: 'gray' },
  selection: { fg: 'black', bg: 'cyan', inverse: false },
  highlight: { bg: 'blue', bold: true },
  mark: 'magenta',
  bar: { fill: 'green', empty: 'gray' },
  legend: { X: 'gray', PIX: 'green', PXB: 'green', PHB: 'yellow', NODE: 'yellow', SYS: 'red' },
};

const RICH: Theme = {
  depth: 8,
  text: { dim: '#8a8a8a', heading: '#ffffff', alias: '#5fd7ff', bdf: '#d0d0d0', kind: '#d787d7', port: '#8a8a8a' },
  status: { ok: '#5fd75f', warn: '#ffaf00', bad: '#ff5f5f', info: '#5fafff', unknown: '#8a8a8a' },
  tab: { active: '#000000', activeBg: '#5fafff', inactive: '#8a8a8a' },
  selection: { fg: '#ffffff', bg: '#005f87', inverse: false },
  highlight: { bg: '#303030', bold: true },
  mark: '#ff87ff',
  bar: { fill: '#5fd75f', empty: '#444444' },
  legend: { X: '#8a8a8a', PIX: '#5fd75f', PXB: '#afd75f', PHB: '#ffaf00', NODE: '#ff8700', SYS: '#ff5f5f' },
};

export function makeTheme(depth: ColorDepth): Theme {
  if (depth === 0) return NONE;
  if (depth === 4) return BASIC;
  return { ...RICH, depth };
}

/**
 * The colour depth to use: NO_COLOR (non-empty) wins, then FORCE_COLOR, then TERM=dumb, then what the
 * terminal reports (tty.WriteStream.getColorDepth reads TERM, COLORTERM...).
 */
export function colorDepth(env: NodeJS.ProcessEnv, stream?: { isTTY?: boolean; getColorDepth?: (env?: object) => number }): ColorDepth {
  const fromEnv = colorFromEnv(env);
  if (fromEnv === false) return 0;
  if (fromEnv === true) return env.FORCE_COLOR === '2' ? 8 : env.FORCE_COLOR === '3' ? 24 : 4;
  if (!stream?.isTTY || typeof stream.getColorDepth !== 'function') return 0;
  const d = stream.getColorDepth(env);
  return d >= 24 ? 24 : d >= 8 ? 8 : d >= 4 ? 4 : 0;
}

export type ToneName = 'ok' | 'warn' | 'bad' | 'info' | 'dim' | 'heading' | 'plain';

/** The colour of a semantic tone. */
export function toneColor(theme: Theme, tone: ToneName): string | undefined {
  switch (tone) {
    case 'ok': return theme.status.ok;
    case 'warn': return theme.status.warn;
    case 'bad': return theme.status.bad;
    case 'info': return theme.status.info;
    case 'dim': return theme.text.dim;
    case 'heading': return theme.text.heading;
    default: return undefined;
  }
}
