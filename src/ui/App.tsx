// The TUI's root: wires the reducer, keys, resize and the bench runner, and lays the screen out
// (tab bar, the active pane, status line). Everything it shows comes from the state and the model.
import { Box, useApp, useInput } from 'ink';
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer } from 'react';
import type { BenchDriver } from './bench-driver.js';
import type { UiModel } from './model.js';
import { createReducer, MIN_COLUMNS, MIN_ROWS, type Action, type UiState } from './state.js';
import type { Theme } from './theme.js';
import { ThemeContext } from './theme-context.js';
import { useBenchRunner } from './hooks/use-bench-runner.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { BenchView } from './components/BenchView.js';
import { DetailsView } from './components/DetailsView.js';
import { DoctorView } from './components/DoctorView.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { Line, seg } from './components/Line.js';
import { NcclView } from './components/NcclView.js';
import { PairsView } from './components/PairsView.js';
import { StatusLine } from './components/StatusLine.js';
import { TabBar } from './components/TabBar.js';
import { TreeView } from './components/TreeView.js';

export interface AppProps {
  model: UiModel;
  initial: UiState;
  theme: Theme;
  bench?: BenchDriver;
  /** Follow the output stream's resize events (off in tests that set the size by hand). */
  followResize?: boolean;
  /** Writes the report for the current source (the R key); resolves to the line to show. */
  writeReport?: () => Promise<string>;
  /** Called with every state (tests and the latency trace). */
  onState?: (s: UiState) => void;
}

export function Screen({ model, state }: { model: UiModel; state: UiState }) {
  const { columns, rows } = state.size;
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return <Line segs={[seg(`terminal too small (${columns}x${rows}): p2p tui needs ${MIN_COLUMNS}x${MIN_ROWS}; q quits`)]} width={Math.max(1, columns)} />;
  }
  let body;
  if (state.help) body = <HelpOverlay state={state} />;
  else if (state.view === 'tree') body = <TreeView model={model} state={state} />;
  else if (state.view === 'details') body = <DetailsView model={model} state={state} />;
  else if (state.view === 'pairs') body = <PairsView model={model} state={state} />;
  else if (state.view === 'doctor') body = <DoctorView model={model} state={state} />;
  else if (state.view === 'nccl') body = <NcclView model={model} state={state} />;
  else body = <BenchView model={model} state={state} />;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <TabBar model={model} state={state} />
      <Box flexDirection="column" height={rows - 2} overflow="hidden">
        {body}
      </Box>
      <StatusLine state={state} />
    </Box>
  );
}

export function App({ model, initial, theme, bench, followResize = true, onState, writeReport }: AppProps) {
  const reducer = useMemo(() => createReducer(model), [model]);
  const [state, dispatch] = useReducer(reducer, initial);
  const { exit } = useApp();
  useInput((input, key) => dispatch({ type: 'key', input, key }));
  const onResize = useCallback((columns: number, rows: number) => dispatch({ type: 'resize', columns, rows }), []);
  useTerminalSize(followResize ? onResize : noop);
  const send = useCallback((a: Action) => dispatch(a), []);
  useBenchRunner(state.bench, bench, send);
  useEffect(() => {
    if (state.reportRequest === 0) return;
    if (!writeReport) return send({ type: 'report-written', text: 'no report writer here', ok: false });
    writeReport().then((text) => send({ type: 'report-written', text, ok: true }), (e: Error) => send({ type: 'report-written', text: `report failed: ${e.message}`, ok: false }));
  }, [state.reportRequest, writeReport, send]);
  // Layout effects run in the commit itself: passive ones can wait for the next input.
  useLayoutEffect(() => {
    onState?.(state);
    if (state.quit) exit();
  }, [state, exit, onState]);
  return (
    <ThemeContext.Provider value={theme}>
      <Screen model={model} state={state} />
    </ThemeContext.Provider>
  );
}

function noop(): void {}
