// Config-space bytes plus a map of which of them were actually read; reads of others are unknown, never zero.

/** A function's configuration space as far as it could be read (64, 256 or 4096 bytes, maybe with holes). */
export class ConfigSpace {
  readonly bytes: Uint8Array;
  /** One past the last byte read: the extent the source held (a dump with a missing row keeps its extent). */
  readonly length: number;
  /** Byte-wise 1 where read, for a space with holes; null when every byte below `length` was read (private: not part of what JSON or deep comparisons see). */
  readonly #present: Uint8Array | null;

  constructor(bytes: Uint8Array, length = bytes.length, present: Uint8Array | null = null) {
    this.bytes = bytes;
    this.length = Math.min(length, bytes.length);
    this.#present = present && !allSet(present, this.length) ? present : null;
  }

  /** True when every byte in [offset, offset+size) was read. */
  has(offset: number, size = 1): boolean {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.length)) return false;
    const p = this.#present;
    if (p === null) return true;
    for (let i = offset; i < offset + size; i++) if (!p[i]) return false;
    return true;
  }

  /** Bytes actually read (the extent less the holes). */
  get readBytes(): number {
    const p = this.#present;
    if (p === null) return this.length;
    let n = 0;
    for (let i = 0; i < this.length; i++) n += p[i];
    return n;
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

  /** The same bytes and holes with a shorter extent (a reader that stops at the header). */
  withLength(length: number): ConfigSpace {
    return new ConfigSpace(this.bytes, length, this.#present);
  }

  static empty(): ConfigSpace {
    return new ConfigSpace(new Uint8Array(0), 0);
  }
}

function allSet(present: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (!present[i]) return false;
  return true;
}
