// Stands in for chalk's colour detection in the CLI bundle. p2p makes every Chalk with an explicit level
// (src/format/style.ts, from NO_COLOR/FORCE_COLOR and the stream), never chalk's default instances,
// which are all this detection feeds; and it loads node:tty (~4 ms) when output is not a terminal.
// The TUI bundle keeps the real one: Ink colours through chalk's default instance.
export default { stdout: false, stderr: false };
