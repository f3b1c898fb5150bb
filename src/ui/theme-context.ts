// The theme as a React context, for the Ink components (theme.ts itself stays free of React).
import { createContext, useContext } from 'react';
import { makeTheme, type Theme } from './theme.js';

export const ThemeContext = createContext<Theme>(makeTheme(0));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
