// The facts `p2p doctor` needs besides the fabric, read under a filesystem root (live `/` or a
// captured tree): loaded modules, cufile.json, io_uring sysctl, kernel log, AER counters, O_DIRECT.
// Anything the source cannot tell is an unknown Fact with the reason, never a guessed default.
import * as fs from 'node:fs';
import { parseAerCounterLines, readAerCounters } from './aer-counters.js';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { known, unknown, type AerCounters, type DoctorInput, type EnvFacts, type Fact, type ODirectProbe } from '../model/doctor/types.js';
import { openSource, type SourceOptions } from './source.js';
import { sourceRoot } from './snapshot.js';
import { readCapturedMemMechanisms, type RawMemMechanisms } from './mem-mechanisms.js';
import { parseKmsg, readKmsgRecords } from './kmsg.js';
import { gatherGpuFacts } from './gpu-facts.js';
import { HOST_FILE } from './sysfs-files.js';

export interface DoctorFactOptions {
  root?: string;
  dump?: string;
  /** A bench file to test O_DIRECT on (live machine only). */
  file?: string;
  /** A saved kernel log (dmesg output) to read instead of the live one. */
  dmesg?: string;
  /** Environment (for CUFILE_ENV_PATH_JSON); defaults to none. */
  env?: Record<string, string | undefined>;
  /** Probe io_uring with the native addon (live only); injected so tests need no addon. */
  ioUringProbe?: () => { available: boolean; reason?: string } | null;
  /** GPU memory by BDF from the CUDA driver (live only); injected so tests need no GPU. */
  gpuMemory?: () => Map<string, number> | null;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Module names from /proc/modules text (first column). */
export function parseProcModules(text: string): string[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

/** One aer_dev_* file: "RxErr 0\nBadTLP 2\n...\nTOTAL_ERR_COR 2". */
export function parseAerCounterFile(text: string): { entries: Record<string, number>; total: number | null } {
  return splitAerTotal(parseAerCounterLines(text));
}

/** An aer_dev_* file's lines as the doctor's entries and TOTAL_ERR_* (or the entries' sum when absent). */
function splitAerTotal(lines: Record<string, number>): { entries: Record<string, number>; total: number | null } {
  const entries: Record<string, number> = {};
  let total: number | null = null;
  for (const [k, v] of Object.entries(lines)) {
    if (k.startsWith('TOTAL_ERR')) total = v;
    else entries[k] = v;
  }
  if (total === null && Object.keys(entries).length) total = Object.values(entries).reduce((a, b) => a + b, 0);
  return { entries, total };
}

/** The doctor's AER counters: every function listed in sys/bus/pci/devices with an aer_dev_* file. */
export function readAerCounterFacts(root: string): Fact<Map<string, AerCounters>> {
  const dir = path.join(root, 'sys/bus/pci/devices');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return unknown('no sys/bus/pci/devices in the source');
  }
  const DEV_FILE = { correctable: 'aer_dev_correctable', nonfatal: 'aer_dev_nonfatal', fatal: 'aer_dev_fatal' } as const;
  const out = new Map<string, AerCounters>();
  for (const [bdf, files] of readAerCounters(names.map((n) => [n, path.join(dir, n)] as const))) {
    const c: AerCounters = { correctable: null, nonfatal: null, fatal: null, totals: { correctable: null, nonfatal: null, fatal: null } };
    let any = false;
    for (const k of Object.keys(DEV_FILE) as (keyof typeof DEV_FILE)[]) {
      const lines = files.dev[DEV_FILE[k]];
      if (!lines) continue;
      any = true;
      const p = splitAerTotal(lines);
      c[k] = p.entries;
      c.totals[k] = p.total;
    }
    if (any) out.set(bdf, c);
  }
  return known(out, 'sys/bus/pci/devices/*/aer_dev_*');
}

function readLiveKmsg(): Fact<string> {
  const r = readKmsgRecords();
  if ('records' in r) return known(parseKmsg(r.records), '/dev/kmsg');
  return unknown(
    r.errorCode === 'EPERM' || r.errorCode === 'EACCES'
      ? 'the kernel log is not readable (kernel.dmesg_restrict=1 needs root or CAP_SYSLOG); run as root or pass --dmesg FILE'
      : `cannot read /dev/kmsg (${r.errorCode}); pass --dmesg FILE`,
  );
}

function mountOf(file: string): { fsType: string | null; mountPoint: string | null } {
  const info = readText('/proc/self/mountinfo');
  if (!info) return { fsType: null, mountPoint: null };
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    real = path.resolve(file);
  }
  let best: { fsType: string; mountPoint: string } | null = null;
  for (const line of info.split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (parts.length < 5 || sep < 0) continue;
    const mp = parts[4].replace(/\\040/g, ' ');
    const inside = mp === '/' || real === mp || real.startsWith(mp + '/');
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = { fsType: parts[sep + 1], mountPoint: mp };
  }
  return best ?? { fsType: null, mountPoint: null };
}

export function probeODirect(file: string): ODirectProbe {
  if (!fs.existsSync(file)) throw new UserError(`--file ${file}: no such file`);
  const where = mountOf(file);
  const O_DIRECT = fs.constants.O_DIRECT;
  if (O_DIRECT === undefined) return { path: file, ok: false, error: 'O_DIRECT is not defined on this platform', ...where };
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | O_DIRECT);
    fs.closeSync(fd);
    return { path: file, ok: true, ...where };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'EPERM') throw new UserError(`--file ${file}: permission denied`);
    if (err.code === 'EISDIR') throw new UserError(`--file ${file}: is a directory (give a file on the filesystem to test)`);
    return { path: file, ok: false, error: `${err.code ?? 'error'}: ${err.message.replace(/^[A-Z]+: /, '')}`, ...where };
  }
}

/** A path under the source's root (`at`), and how the facts name it (`rel`: "/proc/modules", "snap.tar.gz:proc/modules"). */
interface Where {
  at: (p: string) => string;
  rel: (p: string) => string;
}

function modulesFact({ at, rel }: Where): Fact<string[]> {
  const procModules = readText(at(HOST_FILE.modules));
  if (procModules !== null) return known(parseProcModules(procModules), rel(HOST_FILE.modules));
  if (isDir(at('sys/module'))) return known(fs.readdirSync(at('sys/module')), rel('sys/module'));
  return unknown('no proc/modules or sys/module in the source');
}

/** cufile.json: CUFILE_ENV_PATH_JSON on the live machine, else etc/cufile.json; known absent only when etc/ is there. */
function cufileFact({ at, rel }: Where, live: boolean, env: Record<string, string | undefined>): Fact<{ path: string; text: string } | null> {
  const envPath = live ? env.CUFILE_ENV_PATH_JSON : undefined;
  const cufilePath = envPath ? envPath : at(HOST_FILE.cufile);
  const cufileText = readText(cufilePath);
  if (cufileText !== null) return known({ path: envPath ?? rel(HOST_FILE.cufile), text: cufileText }, envPath ? 'CUFILE_ENV_PATH_JSON' : rel(HOST_FILE.cufile));
  if (envPath) return known(null, `CUFILE_ENV_PATH_JSON=${envPath}`);
  if (isDir(at('etc'))) return known(null, rel(HOST_FILE.cufile));
  return unknown('the source has no etc/ directory, so cufile.json cannot be looked for');
}

function ioUringDisabledFact({ at, rel }: Where): Fact<number | null> {
  const iou = readText(at(HOST_FILE.ioUringDisabled));
  if (iou !== null && /^\s*\d+\s*$/.test(iou)) return known(parseInt(iou, 10), rel(HOST_FILE.ioUringDisabled));
  if (isDir(at('proc/sys/kernel'))) return known(null, rel('proc/sys/kernel'));
  return unknown('no proc/sys/kernel in the source');
}

function ioUringProbeFact(live: boolean, probe: DoctorFactOptions['ioUringProbe']): Fact<{ available: boolean; reason?: string }> {
  if (live && probe) {
    const r = probe();
    if (r) return known(r, 'io_uring_setup');
  }
  return unknown(live ? 'native addon not available for a real io_uring_setup' : 'io_uring can only be probed on the live machine');
}

/** The kernel log of a tree: /dev/kmsg on the live machine, else a saved var/log/dmesg or dmesg.txt. */
function treeDmesgFact({ at, rel }: Where, live: boolean): Fact<string> {
  if (live) return readLiveKmsg();
  const saved = ['var/log/dmesg', HOST_FILE.savedKernelLog].map((p) => ({ p, t: readText(at(p)) })).find((x) => x.t !== null);
  return saved ? known(saved.t!, rel(saved.p)) : unknown('a captured tree has no kernel log; pass --dmesg FILE (dmesg output from that machine)');
}

export function gatherDoctorFacts(opts: DoctorFactOptions): EnvFacts {
  const source = openSource(opts);
  const live = source.live;
  const env = opts.env ?? {};
  const dmesgFromFile = (): Fact<string> | null => {
    if (!opts.dmesg) return null;
    const t = readText(opts.dmesg);
    if (t === null) throw new UserError(`--dmesg ${opts.dmesg}: cannot read it`);
    return known(t, opts.dmesg);
  };
  const odirect = (): Fact<ODirectProbe> => {
    if (!opts.file) return unknown('no bench file given: pass --file PATH to test O_DIRECT on the filesystem that holds it');
    if (!live) return unknown('--file is tested on the machine p2p runs on, not on a --root/--dump source');
    return known(probeODirect(opts.file), 'open(O_DIRECT)');
  };

  // Sources with no filesystem behind them (the source object says so: no fsRoot).
  const ncclXml = source.method === 'nccl-xml';
  if (source.method === 'dump' || ncclXml) {
    const why = ncclXml ? 'an NCCL topology XML has no /proc, /sys or /etc' : 'an lspci dump has no /proc, /sys or /etc';
    return {
      live: false,
      modules: unknown(why),
      cufile: unknown(why),
      ioUringDisabled: unknown(why),
      ioUringProbe: unknown(why),
      dmesg: dmesgFromFile() ?? unknown(`${ncclXml ? 'an NCCL topology XML' : 'an lspci dump'} has no kernel log; pass --dmesg FILE (dmesg output from that machine)`),
      aerCounters: unknown(`${ncclXml ? 'an NCCL topology XML' : 'an lspci dump'} has no sysfs AER counters`),
      odirect: odirect(),
      memMechanisms: unknown(why),
    };
  }

  // A snapshot archive is read from its extraction (shared with the fabric loader).
  const root = path.resolve(sourceRoot(opts.root).root);
  const at = (p: string) => path.join(root, p);
  const rel = (p: string) => (live ? `/${p}` : root === path.resolve(opts.root ?? '/') ? path.join(opts.root ?? '/', p) : `${opts.root}:${p}`);

  const where: Where = { at, rel };
  const modules = modulesFact(where);
  const cufile = cufileFact(where, live, env);
  const ioUringDisabled = ioUringDisabledFact(where);
  const ioUringProbe = ioUringProbeFact(live, opts.ioUringProbe);
  const dmesg = dmesgFromFile() ?? treeDmesgFact(where, live);

  return {
    live,
    modules,
    cufile,
    ioUringDisabled,
    ioUringProbe,
    dmesg,
    aerCounters: readAerCounterFacts(root),
    odirect: odirect(),
    gpu: gatherGpuFacts({ root, live, rel, gpuMemory: opts.gpuMemory }),
    memMechanisms: memMechanismsFact(root, live, rel('sys')),
  };
}

function memMechanismsFact(root: string, live: boolean, source: string): Fact<RawMemMechanisms> {
  const r = readCapturedMemMechanisms(root, live);
  return r.known ? known(r.value, source) : unknown(r.reason);
}

/** Everything `runDoctorChecks` needs from one source: the fabric and the environment facts. */
export async function loadDoctorInput(opts: SourceOptions & DoctorFactOptions): Promise<DoctorInput> {
  const { loadFabric } = await import('./load.js');
  const { FILL_ALL, FILL_CONFIG_FULL } = await import('./types.js');
  // Config on demand: what the fabric and the checks decode (FILL_CONFIG_CHECKS), not whole spaces.
  const fabric = await loadFabric(opts, undefined, FILL_ALL & ~FILL_CONFIG_FULL);
  return { fabric, env: gatherDoctorFacts(opts) };
}
