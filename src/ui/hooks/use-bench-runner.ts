// Runs the bench the state asks for: starts the driver for each new request id, cancels it when the
// state says so or the app unmounts, and feeds its events back as actions.
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { BenchDriver, BenchRun } from '../bench-driver.js';
import type { Action, BenchState } from '../state.js';

export function useBenchRunner(bench: BenchState, driver: BenchDriver | undefined, dispatch: (a: Action) => void): void {
  const run = useRef<{ id: number; handle: BenchRun } | null>(null);
  const req = bench.request;
  // Layout effects: passive effects of a render caused by input can wait until the next input.
  useLayoutEffect(() => {
    if (bench.phase !== 'starting' || !req || run.current?.id === req.id) return;
    if (!driver) {
      dispatch({ type: 'bench', id: req.id, event: { kind: 'failed', message: 'no bench engine in this build' } });
      return;
    }
    const id = req.id;
    const handle = driver.start({ source: req.source, dest: req.dest }, (event) => dispatch({ type: 'bench', id, event }));
    run.current = { id, handle };
  }, [bench.phase, req, driver, dispatch]);
  useLayoutEffect(() => {
    if (bench.phase === 'cancelling') run.current?.handle.cancel();
  }, [bench.phase]);
  useEffect(() => () => run.current?.handle.cancel(), []);
}
