// The kernel's AER counter files (aer_dev_*): "RxErr 0\nBadTLP 2\n...\nTOTAL_ERR_COR 2", parsed in one place.

/** Every "Name count" line of an aer_dev_* file, TOTAL_ERR_* included. */
export function parseAerCounterLines(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
