// Config bytes each command reads on this machine (issue 16): every read of a sysfs `config` file that
// strace sees (pread64, read, preadv; threads followed, split calls joined), summed per command, for
// p2p's views and for lspci -tv and lspci -vvv beside them. Run as root (others get 64 bytes a file).
//   node dist/bench/config-bytes.js [--p2p bin/p2p.js] [--show BDF] [--path A,B] [--markdown]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const CALL = /^(?:\[pid\s+)?(\d+)\]?\s*(pread64|read|preadv)\((\d+)<([^>]*)>.*?(?:= (-?\d+).*|<unfinished \.\.\.>)$/;
const RESUMED = /^(?:\[pid\s+)?(\d+)\]?\s*<\.\.\. (pread64|read|preadv) resumed>.*= (-?\d+)/;

/** Bytes returned by reads of files named `config`, from an strace -f -y log (a call split by another thread's is joined). */
export function configBytesFromStrace(log: string): number {
  let total = 0;
  const pending = new Map<string, boolean>();
  for (const line of log.split('\n')) {
    const m = CALL.exec(line);
    if (m) {
      const isConfig = path.basename(m[4]) === 'config';
      if (m[5] === undefined) pending.set(`${m[1]} ${m[2]}`, isConfig);
      else if (isConfig && Number(m[5]) > 0) total += Number(m[5]);
      continue;
    }
    const r = RESUMED.exec(line);
    if (r && pending.get(`${r[1]} ${r[2]}`) && Number(r[3]) > 0) total += Number(r[3]);
    if (r) pending.delete(`${r[1]} ${r[2]}`);
  }
  return total;
}

/** Runs `cmd` under strace; the config bytes it read and its exit status. */
function count(cmd: string[]): { bytes: number; code: number | null } {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-config-bytes-')), 'strace.log');
  const r = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=pread64,read,preadv', '-o', log, ...cmd], { stdio: ['ignore', 'ignore', 'ignore'] });
  const bytes = configBytesFromStrace(fs.readFileSync(log, 'latin1'));
  fs.rmSync(path.dirname(log), { recursive: true, force: true });
  return { bytes, code: r.status };
}

/** Bytes of every function's config file as a whole read gets them (its size, or less for a short read). */
function wholeSpaces(): { functions: number; bytes: number } {
  const dir = '/sys/bus/pci/devices';
  let bytes = 0;
  const names = fs.readdirSync(dir);
  for (const n of names) {
    try {
      bytes += fs.readFileSync(path.join(dir, n, 'config')).length;
    } catch {
      /* unreadable: counts nothing */
    }
  }
  return { functions: names.length, bytes };
}

function main(): void {
  if (spawnSync('strace', ['-V']).status !== 0) {
    console.error('config-bytes: strace is not installed');
    process.exit(3);
  }
  const p2p = path.resolve(arg('p2p', path.join(REPO, 'bin/p2p.js')));
  const fns = fs.readdirSync('/sys/bus/pci/devices').sort();
  const show = arg('show', fns[fns.length - 1]);
  const [a, b] = arg('path', `${fns[fns.length - 2]},${fns[fns.length - 1]}`).split(',');
  const whole = wholeSpaces();
  const rows: [string, string[]][] = [
    ['p2p topo', [process.execPath, p2p, 'topo']],
    ['p2p topo --json', [process.execPath, p2p, 'topo', '--json']],
    ['lspci -tv', ['lspci', '-tv']],
    ['p2p matrix --json', [process.execPath, p2p, 'matrix', '--json']],
    [`p2p path ${a} ${b}`, [process.execPath, p2p, 'path', a, b]],
    ['p2p doctor', [process.execPath, p2p, 'doctor']],
    [`p2p show ${show}`, [process.execPath, p2p, 'show', show]],
    ['lspci -vvv', ['lspci', '-vvv']],
  ];
  const md = process.argv.includes('--markdown');
  const uid = process.getuid?.();
  console.log(`${whole.functions} functions; whole config spaces: ${whole.bytes} bytes; uid ${uid}${uid === 0 ? '' : ' (not root: 64 bytes a file)'}`);
  if (md) console.log('| command | config bytes read |\n|---|---|');
  for (const [name, cmd] of rows) {
    const r = count(cmd);
    const note = r.code === 0 || (name.startsWith('p2p doctor') && r.code !== null && r.code < 3) ? '' : ` (exit ${r.code})`;
    console.log(md ? `| \`${name}\` | ${r.bytes}${note} |` : `${name.padEnd(40)} ${String(r.bytes).padStart(7)}${note}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
