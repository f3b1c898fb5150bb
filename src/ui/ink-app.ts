// The TUI's Ink side in one module: everything that needs React or Ink sits behind this door, loaded only
// once the first frame is on screen (src/ui/run.ts). The build bundles it apart (dist/cli/tui/).
import { render, type RenderOptions } from 'ink';
import React from 'react';
import { App, type AppProps } from './App.js';

export function renderApp(props: AppProps, options: RenderOptions): { unmount(): void; waitUntilExit(): Promise<unknown> } {
  return render(React.createElement(App, props), options);
}
