// Config-space bytes plus how many of them were actually read; reads past that are unknown, never zero.

/** A function's configuration space as far as it could be read (64, 256 or 4096 bytes). */
export class ConfigSpace {
  readonly bytes: Uint8Array;
  /** Number of leading bytes that were really read. */
  readonly length: number;

  constructor(bytes: Uint8Array, length = bytes.length) {
    this.bytes = bytes;
    this.length = Math.min(length, bytes.length);
  }

  /** True when every byte in [offset, offset+size) was read. */
  has(offset: number, size = 1): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.length;
  }

  u8(offset: number): number | undefined {
    return this.has(offset, 1) ? this.bytes[offset] : undefined;
  }

  u16(offset: number): number | undefined {
    return this.has(offset, 2) ? this.bytes[offset] | (this.bytes[offset + 1] << 8) : undefined;
  }

  u32(offset: number): number | undefined {
    if (!this.has(offset, 4)) return undefined;
    const b = this.bytes;
    return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16) | (b[offset + 3] << 24)) >>> 0;
  }

  /** The extended (PCIe) region past 256 bytes was read. */
  get hasExtended(): boolean {
    return this.length >= 4096;
  }

  static empty(): ConfigSpace {
    return new ConfigSpace(new Uint8Array(0), 0);
  }
}
