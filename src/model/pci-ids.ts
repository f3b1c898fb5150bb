// Name lookups in pci.ids text (vendor, device, subsystem, class), done lazily so start-up stays cheap.

/** Offset of the first `C xx  name` line: only class lines start with "C " (vendors are hex, comments #). */
function classSectionStart(text: string): number {
  // indexOf is ~10x cheaper than a multiline regex over the 1.3 MB file.
  for (let at = text.indexOf('\nC '); at >= 0; at = text.indexOf('\nC ', at + 1)) {
    if (/^C [0-9a-f]{2}  /.test(text.slice(at + 1, at + 7))) return at + 1;
  }
  return text.startsWith('C ') ? 0 : text.length;
}

/**
 * Looks names up straight in the text with indexOf instead of parsing all ~40k lines:
 * a topology needs a few dozen names, and a full parse would cost more than the rest of start-up.
 */
export class PciIds {
  private readonly text: string;
  private readonly classStart: number;
  private readonly vendorCache = new Map<string, { name: string; start: number; end: number } | null>();
  private readonly deviceCache = new Map<string, string | null>();

  constructor(text: string) {
    this.text = text;
    this.classStart = classSectionStart(text);
  }

  private vendorBlock(vendor: string) {
    const key = vendor.toLowerCase();
    const cached = this.vendorCache.get(key);
    if (cached !== undefined) return cached;
    let result: { name: string; start: number; end: number } | null = null;
    const needle = `\n${key}  `;
    const at = this.text.indexOf(needle);
    if (at >= 0 && at < this.classStart) {
      const lineEnd = this.text.indexOf('\n', at + 1);
      const name = this.text.slice(at + needle.length, lineEnd < 0 ? undefined : lineEnd).trim();
      // The block runs until the next line that does not start with a tab or '#'.
      let end = lineEnd < 0 ? this.text.length : lineEnd;
      const re = /\n(?![\t#\n])/g;
      re.lastIndex = end;
      const m = re.exec(this.text);
      end = m ? m.index : this.text.length;
      result = { name, start: lineEnd, end };
    }
    this.vendorCache.set(key, result);
    return result;
  }

  vendorName(vendor: string): string | null {
    return this.vendorBlock(vendor)?.name ?? null;
  }

  deviceName(vendor: string, device: string): string | null {
    const key = `${vendor}:${device}`;
    let name = this.deviceCache.get(key);
    if (name === undefined) {
      name = this.lookupDevice(vendor, device);
      this.deviceCache.set(key, name);
    }
    return name;
  }

  private lookupDevice(vendor: string, device: string): string | null {
    const block = this.vendorBlock(vendor);
    if (!block) return null;
    const needle = `\n\t${device.toLowerCase()}  `;
    const at = this.text.indexOf(needle, block.start);
    if (at < 0 || at >= block.end) return null;
    const lineEnd = this.text.indexOf('\n', at + 1);
    return this.text.slice(at + needle.length, lineEnd).trim();
  }

  /** Class name for a 6-hex-digit class code: the most specific of class/subclass/prog-if known. */
  className(classCode: string): string | null {
    const cls = classCode.slice(0, 2).toLowerCase();
    const sub = classCode.slice(2, 4).toLowerCase();
    const progIf = classCode.slice(4, 6).toLowerCase();
    const at = this.text.indexOf(`\nC ${cls}  `, this.classStart - 1);
    if (at < 0) return null;
    const lineEnd = this.text.indexOf('\n', at + 1);
    let name = this.text.slice(at + 7, lineEnd).trim();
    const next = this.text.indexOf('\nC ', lineEnd);
    const end = next < 0 ? this.text.length : next;
    const subAt = this.text.indexOf(`\n\t${sub}  `, lineEnd);
    if (subAt >= 0 && subAt < end) {
      const subEnd = this.text.indexOf('\n', subAt + 1);
      name = this.text.slice(subAt + 6, subEnd).trim();
      const subNext = this.text.slice(subEnd).search(/\n\t[0-9a-f]/);
      const subBlockEnd = subNext < 0 ? end : subEnd + subNext;
      const piAt = this.text.indexOf(`\n\t\t${progIf}  `, subEnd);
      if (piAt >= 0 && piAt < subBlockEnd && piAt < end) {
        const piEnd = this.text.indexOf('\n', piAt + 1);
        return `${name} (${this.text.slice(piAt + 7, piEnd).trim()})`;
      }
    }
    return name;
  }
}

/** Class names lspci falls back on, so output stays readable with no pci.ids at all. */
export const BUILTIN_CLASS_NAMES: Record<string, string> = {
  '0100': 'SCSI storage controller', '0101': 'IDE interface', '0104': 'RAID bus controller',
  '0106': 'SATA controller', '0107': 'Serial Attached SCSI controller', '0108': 'Non-Volatile memory controller',
  '0200': 'Ethernet controller', '0207': 'Infiniband controller', '0280': 'Network controller',
  '0300': 'VGA compatible controller', '0302': '3D controller', '0380': 'Display controller',
  '0403': 'Audio device', '0500': 'RAM memory', '0580': 'Memory controller',
  '0600': 'Host bridge', '0601': 'ISA bridge', '0604': 'PCI bridge', '0680': 'Bridge',
  '0880': 'System peripheral', '0b40': 'Co-processor', '0c03': 'USB controller', '0c05': 'SMBus',
  '1200': 'Processing accelerators', '1180': 'Signal processing controller',
};
