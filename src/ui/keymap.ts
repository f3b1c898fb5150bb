// The one keymap: key presses become named commands here and nowhere else. The reducer decides what a
// command means in the current view; the help overlay, the status line and docs/tui.md list BINDINGS.

export type Command =
  | 'up' | 'down' | 'left' | 'right' | 'page-up' | 'page-down' | 'home' | 'end'
  | 'open' | 'back' | 'toggle' | 'next-view' | 'prev-view'
  | 'view-tree' | 'view-details' | 'view-pairs' | 'view-doctor' | 'view-bench' | 'view-nccl'
  | 'search' | 'next-match' | 'prev-match' | 'cycle-class' | 'clear-filter'
  | 'mark' | 'clear-marks' | 'expand-all' | 'collapse-all'
  | 'bench-start' | 'bench-cancel' | 'bench-write'
  | 'write-report'
  | 'help' | 'quit';

/** What the key editor of the search prompt produces. */
export type SearchCommand =
  | { type: 'search-char'; text: string }
  | { type: 'search-backspace' }
  | { type: 'search-accept' }
  | { type: 'search-cancel' }
  | { type: 'quit' };

/** Modes decide which part of the keymap applies. */
export type InputMode = 'normal' | 'search' | 'help';

/** The subset of Ink's Key the keymap reads (so the keymap needs no Ink at runtime). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

export interface Binding {
  /** Key names as normaliseKey() spells them. */
  keys: string[];
  command: Command;
  /** What the help overlay shows. */
  label: string;
  help: string;
  /** Views where it matters (for the status line); absent = everywhere. */
  views?: string[];
}

export const BINDINGS: readonly Binding[] = [
  { keys: ['up', 'k'], command: 'up', label: '↑/k', help: 'move up' },
  { keys: ['down', 'j'], command: 'down', label: '↓/j', help: 'move down' },
  { keys: ['left', 'h'], command: 'left', label: '←/h', help: 'collapse / to parent; previous column or section' },
  { keys: ['right', 'l'], command: 'right', label: '→/l', help: 'expand; next column or section' },
  { keys: ['pageup', 'ctrl-b', 'K'], command: 'page-up', label: 'PgUp/K', help: 'page up (in Pairs: scroll the path)' },
  { keys: ['pagedown', 'ctrl-f', 'J'], command: 'page-down', label: 'PgDn/J', help: 'page down (in Pairs: scroll the path)' },
  { keys: ['home', 'g'], command: 'home', label: 'g/Home', help: 'first line' },
  { keys: ['end', 'G'], command: 'end', label: 'G/End', help: 'last line' },
  { keys: ['enter'], command: 'open', label: 'Enter', help: 'open: device details, pair path, finding\'s device, start bench' },
  { keys: ['escape'], command: 'back', label: 'Esc', help: 'back / close / clear search' },
  { keys: ['space'], command: 'toggle', label: 'Space', help: 'collapse or expand the branch' },
  { keys: ['tab'], command: 'next-view', label: 'Tab', help: 'next pane' },
  { keys: ['shift-tab'], command: 'prev-view', label: 'S-Tab', help: 'previous pane' },
  { keys: ['1'], command: 'view-tree', label: '1', help: 'Fabric tree' },
  { keys: ['2'], command: 'view-details', label: '2', help: 'Device details' },
  { keys: ['3', 'p'], command: 'view-pairs', label: '3/p', help: 'Pairs matrix and path' },
  { keys: ['4', 'd'], command: 'view-doctor', label: '4/d', help: 'Doctor findings' },
  { keys: ['5', 'b'], command: 'view-bench', label: '5/b', help: 'Bench' },
  { keys: ['6'], command: 'view-nccl', label: '6', help: 'NCCL: path types, P2P and GPUDirect RDMA per pair' },
  { keys: ['/'], command: 'search', label: '/', help: 'search by alias, name or BDF' },
  { keys: ['n'], command: 'next-match', label: 'n', help: 'next match' },
  { keys: ['N'], command: 'prev-match', label: 'N', help: 'previous match' },
  { keys: ['c'], command: 'cycle-class', label: 'c', help: 'filter by class (all, gpu, nvme, nic...)' },
  { keys: ['C'], command: 'clear-filter', label: 'C', help: 'clear class filter and search' },
  { keys: ['m'], command: 'mark', label: 'm', help: 'mark device for a pair (two marks: path)' },
  { keys: ['M'], command: 'clear-marks', label: 'M', help: 'clear marks' },
  { keys: ['+', '='], command: 'expand-all', label: '+', help: 'expand all' },
  { keys: ['-'], command: 'collapse-all', label: '-', help: 'collapse all' },
  { keys: ['s'], command: 'bench-start', label: 's', help: 'start bench (Bench pane)' },
  { keys: ['x'], command: 'bench-cancel', label: 'x', help: 'cancel running bench' },
  { keys: ['w'], command: 'bench-write', label: 'w', help: 'write test (refused here)' },
  { keys: ['R'], command: 'write-report', label: 'R', help: 'write an HTML report of this source (as p2p report)' },
  { keys: ['?'], command: 'help', label: '?', help: 'all keys' },
  { keys: ['q', 'ctrl-c'], command: 'quit', label: 'q', help: 'quit (also Ctrl-C)' },
];

const BY_KEY = new Map<string, Command>();
for (const b of BINDINGS) for (const k of b.keys) BY_KEY.set(k, b.command);

/** Ink's (input, key) as one key name: "up", "enter", "shift-tab", "ctrl-c", or the character typed. */
export function normaliseKey(input: string, key: KeyInfo): string | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input) return `ctrl-${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  if (input) return input;
  return null;
}

/** Normal and help mode: the command bound to a key, or null. In help mode any key closes the overlay. */
export function keyToCommand(input: string, key: KeyInfo, mode: InputMode = 'normal'): Command | null {
  const name = normaliseKey(input, key);
  if (name === null) return null;
  const cmd = BY_KEY.get(name) ?? null;
  if (mode === 'help') return cmd === 'quit' && name === 'ctrl-c' ? 'quit' : 'back';
  return cmd;
}

/** The search prompt: printable text edits the query; Enter keeps it, Esc drops it, Ctrl-C still quits. */
export function keyToSearchCommand(input: string, key: KeyInfo): SearchCommand | null {
  const name = normaliseKey(input, key);
  if (name === null) return null;
  if (name === 'ctrl-c') return { type: 'quit' };
  if (name === 'enter' || name === 'down' || name === 'up' || name === 'tab') return { type: 'search-accept' };
  if (name === 'escape') return { type: 'search-cancel' };
  if (name === 'backspace') return { type: 'search-backspace' };
  if (key.ctrl || key.meta) return null;
  if (name === 'space') return { type: 'search-char', text: ' ' };
  // Printable text (a paste arrives as one string); drop control characters.
  const clean = input.replace(/[\u0000-\u001f\u007f]/g, '');
  return clean ? { type: 'search-char', text: clean } : null;
}

/** Short hints for the status line, per view. */
export function statusHints(view: string): string {
  const common = 'Tab pane  / search  ? keys  q quit';
  switch (view) {
    case 'tree': return `↑↓ move  ←→ fold  Enter details  m mark  c class  ${common}`;
    case 'details': return `↑↓ scroll  ←→ section  Esc back  m mark  ${common}`;
    case 'pairs': return `↑↓←→ cell  Enter path  J/K scroll path  m mark  ${common}`;
    case 'doctor': return `↑↓ finding  Enter go to device  ${common}`;
    case 'nccl': return `↑↓ pair  ${common}`;
    case 'bench': return `↑↓ pick  ←→ source/dest  s start  x cancel  ${common}`;
    default: return common;
  }
}
