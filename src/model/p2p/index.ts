// The P2P rules' public surface.
export * from './types.js';
export * from './allow-list.js';
export * from './walk.js';
export * from './kernel-rules.js';
export * from './fixes.js';
export * from './legend.js';
export * from './matrix.js';
export * from './classes.js';
export * from './path.js';
