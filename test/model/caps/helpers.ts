// Test helper: builds a config space register by register; everything else reads as zero, up to `length`.
import { ConfigSpace } from '../../../src/model/config-space.js';

export class CfgBuilder {
  readonly bytes = new Uint8Array(4096);
  u8(off: number, v: number): this {
    this.bytes[off] = v & 0xff;
    return this;
  }
  u16(off: number, v: number): this {
    return this.u8(off, v).u8(off + 1, v >> 8);
  }
  u32(off: number, v: number): this {
    return this.u16(off, v & 0xffff).u16(off + 2, v >>> 16);
  }
  /** A standard capability header at `off` pointing to `next`. */
  cap(off: number, id: number, next: number): this {
    return this.u8(off, id).u8(off + 1, next);
  }
  /** An extended capability header. */
  ext(off: number, id: number, version: number, next: number): this {
    return this.u32(off, (id & 0xffff) | ((version & 0xf) << 16) | ((next & 0xfff) << 20));
  }
  /** Status "capabilities list" bit and the first pointer at 0x34. */
  capList(first: number): this {
    return this.u16(0x06, 0x0010).u8(0x34, first);
  }
  build(length = 4096): ConfigSpace {
    return new ConfigSpace(this.bytes, length);
  }
}

/** A PCIe endpoint: capability list 0x40 (Express, given flags) and nothing else yet. */
export function expressFunction(portType = 0, next = 0): CfgBuilder {
  return new CfgBuilder().u16(0, 0x8086).u16(2, 0x1234).capList(0x40).cap(0x40, 0x10, next).u16(0x42, 0x0002 | (portType << 4));
}

/** Every leaf value of a plain object (for "all unknown" assertions). */
export function leaves(v: unknown, out: unknown[] = []): unknown[] {
  if (v !== null && typeof v === 'object') for (const x of Object.values(v)) leaves(x, out);
  else out.push(v);
  return out;
}

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
