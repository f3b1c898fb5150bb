// `p2p tui` for real: refuse without a terminal, load the fabric (and Ink/React) in parallel, enter the
// alternate screen, render, wait for quit, restore the terminal on every path. Loaded lazily by
// src/commands/tui.ts so that `p2p --help` and `p2p topo` never load React.
import * as fs from 'node:fs';
import { UserError } from '../errors.js';
import type { CommandIO, SourceOptions } from '../commands/shared.js';
import type { Fabric } from '../model/types.js';
import { normalizeFindings, type DoctorView } from './doctor.js';
import { enterAltScreen, HIDE_CURSOR, signalExitCode, type ScreenGuard } from './terminal.js';

export interface TuiOptions extends SourceOptions {
  /** Open on this device (alias, kernel name or BDF). */
  device?: string;
}

/** The UI state as an observer of the running TUI sees it. */
export interface ObservedState {
  marks: string[];
  quit: boolean;
  view: string;
  size: unknown;
  selected: string | null;
}

export interface TuiStreams {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
  /** Called with every state the TUI reaches (an embedder's observer; the crash test throws from it). */
  onState?: (s: ObservedState) => void;
}

export const NOT_A_TERMINAL =
  'p2p tui needs a terminal (stdin and stdout must be a TTY); for pipes and CI use the text commands: p2p topo, p2p show DEVICE, p2p matrix, p2p path A B, p2p doctor';

/** Doctor findings for the Doctor pane, from src/model/doctor (facts gathered as `p2p doctor` does). */
export async function loadDoctorView(fabric: Fabric, opts: SourceOptions, env: NodeJS.ProcessEnv): Promise<() => DoctorView> {
  try {
    const [model, facts, load] = await Promise.all([import('../model/doctor/index.js'), import('../access/doctor-facts.js'), import('../access/load.js')]);
    // Same facts as `p2p doctor`, including the live io_uring probe through the native helper.
    const { live } = fabric.source;
    const ioUringProbe = live ? await load.nativeIoUringProbe() : undefined;
    return () => {
      try {
        const envFacts = facts.gatherDoctorFacts({ root: opts.root, dump: opts.dump, env: live ? env : {}, ioUringProbe });
        const report = model.runDoctorChecks({ fabric, env: envFacts });
        return { available: true, note: null, findings: normalizeFindings(report.findings) };
      } catch (e) {
        return { available: false, note: `doctor could not run: ${(e as Error).message}`, findings: [] };
      }
    };
  } catch (e) {
    const msg = (e as Error).message;
    return () => ({ available: false, note: `doctor checks are not available: ${msg}`, findings: [] });
  }
}

type InkApp = typeof import('./ink-app.js');

/**
 * The Ink side of the TUI (ink-app.ts). From the TUI bundle when bin/p2p.js runs the CLI bundle (which
 * cannot hold Ink: its layout engine needs an ES module's top-level await), else from the compiled sources.
 * Ink decides at import time whether it runs "in CI" (and then draws only on exit); on a real terminal it must not.
 */
async function loadInkApp(env: NodeJS.ProcessEnv): Promise<InkApp> {
  const saved: Record<string, string | undefined> = { CI: env.CI, CONTINUOUS_INTEGRATION: env.CONTINUOUS_INTEGRATION };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  try {
    const fromEntry = (globalThis as { [k: symbol]: unknown })[Symbol.for('p2p.loadInkApp')] as (() => Promise<InkApp>) | undefined;
    return await (fromEntry ? fromEntry() : import('./ink-app.js'));
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) env[k] = v;
  }
}

/** P2P_TUI_TRACE=FILE: time of the first frame and of each key-to-redraw, for bench/tui-latency. */
function startTrace(file: string | undefined, stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream) {
  if (!file) return null;
  const t0 = performance.now();
  const trace = {
    startMs: t0,
    /** The full fabric loaded (after the first frame when that was drawn early, from part of it). */
    fabricMs: null as number | null,
    firstFrameMs: null as number | null,
    earlyFrame: false,
    /** Ink up: keys are answered from here. */
    readyMs: null as number | null,
    keys: [] as { key: string; at: number; drawnAt: number | null }[],
  };
  let frameDue = false;
  const origWrite = stdout.write.bind(stdout) as (...a: unknown[]) => boolean;
  (stdout as unknown as { write: (...a: unknown[]) => boolean }).write = (...args: unknown[]) => {
    const r = origWrite(...args);
    if (frameDue && typeof args[0] === 'string' && args[0].length > 64) {
      const now = performance.now();
      frameDue = false;
      if (trace.firstFrameMs === null) trace.firstFrameMs = now;
      const pending = trace.keys.find((k) => k.drawnAt === null);
      if (pending) for (const k of trace.keys) if (k.drawnAt === null) k.drawnAt = now;
    }
    return r;
  };
  // Keys are stamped when Ink reads them (wrapping read() adds no 'data' listener, which would steal input).
  const origRead = stdin.read.bind(stdin);
  (stdin as unknown as { read: (n?: number) => unknown }).read = (n?: number) => {
    const chunk = origRead(n);
    if (chunk !== null) trace.keys.push({ key: String(chunk), at: performance.now(), drawnAt: null });
    return chunk;
  };
  return {
    onRender() {
      frameDue = true;
    },
    fabricLoaded() {
      trace.fabricMs = performance.now();
    },
    earlyFrame() {
      trace.earlyFrame = true;
    },
    ready() {
      trace.readyMs = performance.now();
    },
    finish() {
      fs.writeFileSync(file, JSON.stringify(trace) + '\n');
    },
  };
}

export async function runTui(opts: TuiOptions, io: CommandIO, streams: TuiStreams = { stdout: process.stdout, stdin: process.stdin, env: process.env }): Promise<number> {
  const { stdout, stdin, env } = streams;
  if (!io.isTTY || !stdout.isTTY || !stdin.isTTY) throw new UserError(NOT_A_TERMINAL);
  const trace = startTrace(env.P2P_TUI_TRACE, stdout, stdin);
  // React's production build: a fraction of the development build's load and render time. (The TUI bundle
  // has it fixed at build time; through an alias so the bundler leaves this run-time default alone.)
  const processEnv = process.env;
  if (processEnv.NODE_ENV === undefined) processEnv.NODE_ENV = 'production';

  const columns = stdout.columns || 80;
  const rows = stdout.rows || 24;
  let instance: { unmount(): void; waitUntilExit(): Promise<unknown> } | null = null;
  const enterScreen = (): ScreenGuard =>
    enterAltScreen({
      stdout,
      stdin,
      beforeForcedRestore: () => instance?.unmount(),
      onSignal: () => instance?.unmount(),
    });
  const showFirstFrame = (frame: string) => {
    // Raw mode now, so keys typed while the rest loads are neither echoed nor line-buffered (Ink reads them later).
    if (stdin.isTTY && !stdin.isRaw) stdin.setRawMode(true);
    trace?.onRender();
    stdout.write(HIDE_CURSOR + frame);
  };

  // A large sysfs source opened at its top: a first frame from the part of it that frame shows
  // (early-frame.ts), drawn before the full read. Bad options fail here, before the screen is taken.
  const load = await import('../access/load.js');
  const outline = opts.device ? null : await load.loadSysfsOutline(opts);
  let guard: ScreenGuard | null = null;
  if (outline) {
    const [{ earlyFirstFrame }, { readSysfsPartial }] = await Promise.all([import('./early-frame.js'), import('../access/sysfs.js')]);
    const early = earlyFirstFrame(
      { functions: outline.functions, partial: (full) => readSysfsPartial(outline, full) },
      { columns, rows, pciIds: load.loadPciIds(opts.pciIds) },
    );
    if (early !== null) {
      guard = enterScreen();
      trace?.earlyFrame();
      showFirstFrame(early);
    }
  }

  try {
    // Then the fabric and the light modules; a plain first frame (unless drawn early); Ink and React after it.
    const [fabric, modelMod, stateMod, themeMod, detailsMod, benchMod, firstMod] = await Promise.all([
      load.loadFabric(opts, outline),
      import('./model.js'),
      import('./state.js'),
      import('./theme.js'),
      import('./details.js'),
      import('./bench-driver.js'),
      import('./first-frame.js'),
    ]);
    trace?.fabricLoaded();
    const depth = themeMod.colorDepth(env, stdout);
    // The doctor modules load alongside Ink: the first frame (the tree) does not need them, and the
    // Doctor pane can only be opened once Ink is up, by which time `doctorView` is set.
    const doctorLoading = loadDoctorView(fabric, opts, env);
    let doctorView: (() => DoctorView) | null = null;
    const model = modelMod.buildModel(fabric, {
      details: (d) => detailsMod.deviceDetailLines(fabric, d, depth > 0),
      doctor: () => (doctorView ? doctorView() : { available: false, note: 'doctor is still loading', findings: [] }),
      ncclEnv: process.env,
    });
    let device: string | null = null;
    if (opts.device) {
      const { resolveDevice } = await import('../model/lookup.js');
      device = resolveDevice(fabric, opts.device).bdf;
    }
    const initial = stateMod.initialState(model, { columns, rows, benchRefusal: benchMod.benchRefusal(fabric), device });
    if (!guard) {
      guard = enterScreen();
      showFirstFrame(firstMod.firstFrame(model, initial));
    }
    const screen = guard;
    const { onState } = streams;
    const [inkApp] = await Promise.all([loadInkApp(env), doctorLoading.then((v) => { doctorView = v; })]);
    if (screen.signal) return signalExitCode(screen.signal); // stopped while Ink was loading
    instance = inkApp.renderApp(
      { model, initial, theme: themeMod.makeTheme(depth), bench: benchMod.liveBenchDriver(fabric), onState, writeReport: () => writeTuiReport(opts) },
      { stdout, stdin, exitOnCtrlC: false, patchConsole: true, maxFps: 60, onRender: trace ? () => trace.onRender() : undefined },
    );
    trace?.ready();
    await instance.waitUntilExit();
    return signalExitCode(screen.signal);
  } finally {
    instance?.unmount();
    guard?.restore();
    trace?.finish();
  }
}

/** The R key: `p2p report` for the TUI's source, into ./p2p-report-TIME.html. */
async function writeTuiReport(opts: SourceOptions): Promise<string> {
  const { writeReport } = await import('../commands/report.js');
  const { formatBytes } = await import('../model/units.js');
  const output = `p2p-report-${new Date().toISOString().replace(/[:.]/g, '-')}.html`;
  const r = await writeReport({ root: opts.root, dump: opts.dump, pciIds: opts.pciIds, output });
  return `wrote ${r.output} (${formatBytes(r.bytes)})`;
}
