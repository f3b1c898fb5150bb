// Small helpers shared by the capability decoders: named flag sets, bit fields, unknown-as-null.

/** A register's single-bit flags by lspci name, in the order lspci prints them. */
export type Flags = Record<string, boolean>;

/** [bit, name] pairs describing one register's flag bits. */
export type FlagTable = ReadonlyArray<readonly [number, string]>;

/** The named flags of a register; null when the register could not be read. */
export function flags(value: number | undefined, table: FlagTable): Flags | null {
  if (value === undefined) return null;
  const out: Flags = {};
  for (const [bit, name] of table) out[name] = ((value >>> bit) & 1) === 1;
  return out;
}

/** Bits [lo, lo+width) of value, or null when the register was unreadable. */
export function field(value: number | undefined, lo: number, width: number): number | null {
  if (value === undefined) return null;
  return Math.floor(value / 2 ** lo) % 2 ** width;
}

/** One bit, or null when the register was unreadable. */
export function bit(value: number | undefined, b: number): boolean | null {
  if (value === undefined) return null;
  return ((value >>> b) & 1) === 1;
}

/** Renders flags the way lspci does: "Name+ Other-". */
export function formatFlags(f: Flags | null, names?: readonly string[]): string | null {
  if (f === null) return null;
  const keys = names ?? Object.keys(f);
  return keys.map((k) => `${k}${f[k] ? '+' : '-'}`).join(' ');
}

/** ConfigSpace reads give undefined for unread bytes; records say null (JSON has no undefined). */
export function nul<T>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}
