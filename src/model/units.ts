// Human-readable sizes and rates, shared by every view: one function per spelling a view prints.

/** 67108864 -> "64 MiB", 67043328 -> "63.9 MiB"; binary units as memory sizes are written. */
export function formatBytes(n: number | bigint | null): string {
  if (n === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let x = typeof n === 'bigint' ? Number(n) : n;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${Number.isInteger(x) ? x : x.toFixed(1)} ${units[i]}`;
}

const REGION_UNITS = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/**
 * A BAR or ROM size as lspci writes it ("[size=16M]"): 16777216 -> "16M", 1536 -> "1.5K", 100 -> "100".
 * Exact in bigint for 64-bit BARs; a size that is not a whole number of the next unit keeps one decimal.
 */
export function formatRegionSize(bytes: bigint): string {
  let v = bytes;
  let u = 0;
  while (u < REGION_UNITS.length - 1 && v >= 1024n && v % 1024n === 0n) {
    v /= 1024n;
    u++;
  }
  if (u < REGION_UNITS.length - 1 && v >= 1024n) {
    const n = Number(v) / 1024;
    return `${n.toFixed(1)}${REGION_UNITS[u + 1]}`;
  }
  return `${v}${REGION_UNITS[u]}`;
}

/** "28.8 GB/s" (decimal units, like link speeds). */
export function formatBytesPerSecond(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(bps >= 1e11 ? 0 : 1)} GB/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(0)} MB/s`;
  return `${bps.toFixed(0)} B/s`;
}
