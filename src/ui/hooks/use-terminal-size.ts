// Follows the terminal's size: calls back on every resize of the output stream.
import { useEffect } from 'react';
import { useStdout } from 'ink';

export function useTerminalSize(onResize: (columns: number, rows: number) => void): void {
  const { stdout } = useStdout();
  useEffect(() => {
    const handler = () => onResize(stdout.columns || 80, stdout.rows || 24);
    stdout.on('resize', handler);
    // The size may have changed before we listened (while the app was loading).
    handler();
    return () => {
      stdout.off('resize', handler);
    };
  }, [stdout, onResize]);
}
