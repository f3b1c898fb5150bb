// Builds lspci -xxx style dumps in tests from a few register values, so each case states only what it needs.

export interface FakeFunction {
  bdf: string; // "00:01.0" or "0000:00:01.0"
  bytes: Map<number, number>;
  length: number; // 64, 256 or 4096
}

export function fn(bdf: string, length = 256): FakeFunction {
  return { bdf, bytes: new Map(), length };
}

export function set8(f: FakeFunction, off: number, v: number): FakeFunction {
  f.bytes.set(off, v & 0xff);
  return f;
}
export function set16(f: FakeFunction, off: number, v: number): FakeFunction {
  set8(f, off, v);
  return set8(f, off + 1, v >> 8);
}
export function set32(f: FakeFunction, off: number, v: number): FakeFunction {
  set16(f, off, v & 0xffff);
  return set16(f, off + 2, v >>> 16);
}

/** Identity: vendor, device, class (6 hex digits), header type. */
export function ident(f: FakeFunction, vendor: number, device: number, classCode: number, headerType = 0): FakeFunction {
  set16(f, 0, vendor);
  set16(f, 2, device);
  set32(f, 8, (classCode << 8) | 0x01);
  return set8(f, 0x0e, headerType);
}

/** Bridge bus numbers (type 1 header). */
export function buses(f: FakeFunction, primary: number, secondary: number, subordinate: number): FakeFunction {
  set8(f, 0x18, primary);
  set8(f, 0x19, secondary);
  return set8(f, 0x1a, subordinate);
}

export function toDump(fns: FakeFunction[]): string {
  const out: string[] = [];
  for (const f of fns) {
    out.push(`${f.bdf} Device`);
    for (let off = 0; off < f.length; off += 16) {
      const row: string[] = [];
      for (let i = 0; i < 16; i++) row.push((f.bytes.get(off + i) ?? 0).toString(16).padStart(2, '0'));
      out.push(`${off.toString(16).padStart(2, '0')}: ${row.join(' ')}`);
    }
    out.push('');
  }
  return out.join('\n');
}
