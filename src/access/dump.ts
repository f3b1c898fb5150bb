// Access method for lspci hex dumps (`lspci -x/-xxx/-xxxx`, the text `lspci -F` reads).
import { ConfigSpace } from '../model/config-space.js';
import { UserError } from '../errors.js';
import { emptyHostInfo, FILL_ALL, type RawDevice, type RawFabric } from './types.js';

const DEVICE_LINE = /^(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])(?:\s|$)/;
const DATA_LINE = /^([0-9a-fA-F]{2,3}):((?:\s+[0-9a-fA-F]{2})+)\s*$/;

interface Pending {
  bdf: string;
  title: string;
  bytes: Uint8Array;
  present: Uint8Array;
  line: number;
}

function finish(p: Pending): RawDevice {
  // Up to the last row given; a missing row is a hole the present map keeps unknown (never zeros), and
  // what lies past it is still read, as lspci -F does.
  let length = 4096;
  while (length > 0 && !p.present[length - 1]) length--;
  return { bdf: p.bdf, config: new ConfigSpace(p.bytes, length, p.present), origin: `line ${p.line}: ${p.title}` };
}

/** Parses a dump; throws UserError with the line number on anything lspci would not accept. */
export function parseLspciDump(text: string, location: string): RawFabric {
  const devices: RawDevice[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  let cur: Pending | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const dev = DEVICE_LINE.exec(line);
    if (dev) {
      if (cur) devices.push(finish(cur));
      const domain = (dev[1] ?? '0000').toLowerCase().padStart(4, '0');
      const bdf = `${domain}:${dev[2].toLowerCase()}:${dev[3].toLowerCase()}.${dev[4]}`;
      if (seen.has(bdf)) throw new UserError(`${location}:${i + 1}: device ${bdf} appears twice in the dump`);
      seen.add(bdf);
      cur = { bdf, title: line.trim(), bytes: new Uint8Array(4096), present: new Uint8Array(4096), line: i + 1 };
      continue;
    }
    const data = DATA_LINE.exec(line);
    if (data) {
      if (!cur) throw new UserError(`${location}:${i + 1}: hex data before any device line (is this an lspci -x dump?)`);
      const offset = parseInt(data[1], 16);
      const values = data[2].trim().split(/\s+/).map((h) => parseInt(h, 16));
      if (offset + values.length > 4096) {
        throw new UserError(`${location}:${i + 1}: offset 0x${data[1]} plus ${values.length} bytes runs past 4096`);
      }
      values.forEach((v, k) => {
        cur!.bytes[offset + k] = v;
        cur!.present[offset + k] = 1;
      });
      continue;
    }
    // lspci -F ignores decoded text interleaved with -vx output only when indented; anything else is garbage.
    if (/^\s/.test(line)) continue;
    throw new UserError(`${location}:${i + 1}: not an lspci hex dump line: ${JSON.stringify(line.slice(0, 60))}`);
  }
  if (cur) devices.push(finish(cur));
  if (devices.length === 0) throw new UserError(`${location}: no devices found (expected the output of lspci -x, -xxx or -xxxx)`);
  for (const d of devices) {
    if (d.config.length < 64) {
      throw new UserError(`${location}: ${d.origin} has only ${d.config.length} bytes of config space (a dump needs at least the 64-byte header)`);
    }
  }
  // A dump holds nothing more to fill: every FILL_* fact it has is in the parse.
  return { source: { method: 'dump', location, live: false }, filled: FILL_ALL, devices, host: emptyHostInfo(), warnings };
}
