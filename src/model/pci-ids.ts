// Name lookups in pci.ids text (vendor, device, subsystem, class), done lazily so start-up stays cheap.

/** Offset of the first `C xx  name` line: only class lines start with "C " (vendors are hex, comments #). */
function classSectionStart(text: string): number {
  // indexOf is ~10x cheaper than a multiline regex over the 1.3 MB file.
  for (let at = text.indexOf('\nC '); at >= 0; at = text.indexOf('\nC ', at + 1)) {
    if (/^C [0-9a-f]{2} {2}/.test(text.slice(at + 1, at + 7))) return at + 1;
  }
  return text.startsWith('C ') ? 0 : text.length;
}

/**
 * A name as the file spells it. The file comes as one char per byte (latin1: quick to read and search),
 * and pci.ids is UTF-8, so the few names with other bytes ("IceQ X²") are decoded here.
 */
function decodeName(raw: string): string {
  if (!/[\x80-\xff]/.test(raw) || /[^\x00-\xff]/.test(raw)) return raw;
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8').decode(bytes);
}

/** `map`'s value for `key`, computed on the first ask (a null answer is kept too). */
function memo<V>(map: Map<string, V>, key: string, compute: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = compute();
    map.set(key, value);
  }
  return value;
}

/**
 * Looks names up straight in the text instead of parsing all ~40k lines: a topology needs a few dozen
 * names, and a full parse would cost more than the rest of start-up. (A binary search over the sorted
 * vendor lines was tried: inside a vendor's block of thousands of lines, such as Intel's, each step
 * scans to the block's end, and it cost more than one plain search.)
 * `text` is the file's bytes as a latin1 string; names come out decoded as UTF-8.
 */
export class PciIds {
  private readonly text: string;
  private readonly classStart: number;
  private readonly vendorCache = new Map<string, { name: string; start: number; end: number } | null>();
  private readonly deviceCache = new Map<string, string | null>();
  private readonly classCache = new Map<string, string | null>();

  constructor(text: string) {
    this.text = text;
    this.classStart = classSectionStart(text);
  }

  private vendorBlock(vendor: string) {
    const key = vendor.toLowerCase();
    return memo(this.vendorCache, key, () => this.lookupVendor(key));
  }

  private lookupVendor(key: string): { name: string; start: number; end: number } | null {
    const found = this.text.indexOf(`\n${key}  `);
    const at = found < 0 ? (this.text.startsWith(`${key}  `) ? 0 : -1) : found + 1;
    if (at >= 0 && at < this.classStart) {
      const lineEnd = this.text.indexOf('\n', at);
      const name = decodeName(this.text.slice(at + key.length + 2, lineEnd < 0 ? undefined : lineEnd).trim());
      // The block runs until the next line that does not start with a tab or '#'.
      let end = lineEnd < 0 ? this.text.length : lineEnd;
      const re = /\n(?![\t#\n])/g;
      re.lastIndex = end;
      const m = re.exec(this.text);
      end = m ? m.index : this.text.length;
      return { name, start: lineEnd, end };
    }
    return null;
  }

  vendorName(vendor: string): string | null {
    return this.vendorBlock(vendor)?.name ?? null;
  }

  deviceName(vendor: string, device: string): string | null {
    return memo(this.deviceCache, `${vendor}:${device}`, () => this.lookupDevice(vendor, device));
  }

  private lookupDevice(vendor: string, device: string): string | null {
    const block = this.vendorBlock(vendor);
    if (!block) return null;
    const needle = `\n\t${device.toLowerCase()}  `;
    // Searched in the vendor's block only: a device the file lacks must not cost a scan to its end.
    const inBlock = this.text.slice(block.start, block.end);
    const at = inBlock.indexOf(needle);
    if (at < 0) return null;
    const lineEnd = inBlock.indexOf('\n', at + 1);
    return decodeName(inBlock.slice(at + needle.length, lineEnd < 0 ? undefined : lineEnd).trim());
  }

  /** Class name for a 6-hex-digit class code: the most specific of class/subclass/prog-if known. */
  className(classCode: string): string | null {
    const key = classCode.toLowerCase();
    return memo(this.classCache, key, () => this.lookupClass(key));
  }

  private lookupClass(classCode: string): string | null {
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
        return decodeName(`${name} (${this.text.slice(piAt + 7, piEnd).trim()})`);
      }
    }
    return decodeName(name);
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
