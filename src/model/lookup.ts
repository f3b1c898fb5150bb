// Finds a device by what a user types: alias, kernel name, full or short BDF.
import { UserError } from '../errors.js';
import type { Device, Fabric } from './types.js';

const SHORT_BDF = /^([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i;
const FULL_BDF = /^([0-9a-f]{1,8}):([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i;

function normaliseBdf(name: string): string | null {
  const full = FULL_BDF.exec(name);
  if (full) return `${full[1].toLowerCase().padStart(4, '0')}:${full[2].toLowerCase().padStart(2, '0')}:${full[3].toLowerCase().padStart(2, '0')}.${full[4]}`;
  const short = SHORT_BDF.exec(name);
  if (short) return `0000:${short[1].toLowerCase().padStart(2, '0')}:${short[2].toLowerCase().padStart(2, '0')}.${short[3]}`;
  return null;
}

/** Returns the device or null; a short BDF that matches in several domains is ambiguous (UserError). */
export function findDevice(fabric: Fabric, name: string): Device | null {
  const trimmed = name.trim();
  const byAlias = fabric.devices.find((d) => d.alias === trimmed || d.names.includes(trimmed));
  if (byAlias) return byAlias;
  const bdf = normaliseBdf(trimmed);
  if (!bdf) return null;
  const exact = fabric.byBdf.get(bdf);
  if (exact) return exact;
  if (SHORT_BDF.test(trimmed)) {
    const tail = bdf.slice(5);
    const hits = fabric.devices.filter((d) => d.bdf.slice(d.bdf.indexOf(':') + 1) === tail);
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new UserError(`${name} is ambiguous: ${hits.map((h) => h.bdf).join(', ')}`);
  }
  return null;
}

/** Like findDevice, but an unknown name is a UserError that lists what names exist. */
export function resolveDevice(fabric: Fabric, name: string): Device {
  const d = findDevice(fabric, name);
  if (d) return d;
  const aliases = fabric.devices.map((x) => x.alias).filter((a): a is string => a !== null);
  const hint = aliases.length ? ` (known: ${aliases.slice(0, 12).join(', ')}${aliases.length > 12 ? ', ...' : ''}, or a BDF)` : ' (use a BDF such as 0000:03:00.0)';
  throw new UserError(`unknown device '${name}'${hint}`);
}
