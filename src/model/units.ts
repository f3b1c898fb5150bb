// Human-readable sizes, shared by every view.

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
