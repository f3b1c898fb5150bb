// Counting config reads for the on-demand tests: a ConfigSpace that notes every register a decoder reads,
// and a sysfs reader that notes every config byte it is asked for (the header batch and each range).
import * as path from 'node:path';
import { ConfigSpace } from '../../src/model/config-space.js';
import type { RawFabric } from '../../src/model/raw.js';
import { readConfigRangesWithFs, type ConfigRangeReader } from '../../src/access/config-fetch.js';
import { readSysfsDirWithFs, type SysfsDirReader } from '../../src/access/sysfs-dir-reader.js';

/** A copy of a config space that records the byte offsets its u8/u16/u32 reads cover (present or not). */
export class TracedConfig extends ConfigSpace {
  readonly touched = new Set<number>();

  override u8(offset: number): number | undefined {
    this.touched.add(offset);
    return super.u8(offset);
  }

  override u16(offset: number): number | undefined {
    for (let i = 0; i < 2; i++) this.touched.add(offset + i);
    return super.u16(offset);
  }

  override u32(offset: number): number | undefined {
    for (let i = 0; i < 4; i++) this.touched.add(offset + i);
    return super.u32(offset);
  }
}

/** The same bytes, extent and holes as `cfg`, traced. */
export function traced(cfg: ConfigSpace): TracedConfig {
  const bytes = new Uint8Array(cfg.length);
  const present = new Uint8Array(cfg.length);
  for (let i = 0; i < cfg.length; i++) {
    const v = cfg.u8(i);
    if (v !== undefined) {
      bytes[i] = v;
      present[i] = 1;
    }
  }
  return new TracedConfig(bytes, cfg.length, present);
}

/** Replaces every device's config with a traced copy; returns bdf -> the bytes its decoders read. */
export function traceRaw(raw: RawFabric): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const d of raw.devices) {
    const t = traced(d.config);
    d.config = t;
    out.set(d.bdf, t.touched);
  }
  return out;
}

/** A plain-fs sysfs reader that records, per function (its directory's name), the config bytes asked of it. */
export function countingReader(): { reader: SysfsDirReader; asked: Map<string, Set<number>>; bytes: () => number } {
  const asked = new Map<string, Set<number>>();
  let total = 0;
  const note = (file: string, offset: number, length: number) => {
    const bdf = path.basename(path.dirname(file));
    let s = asked.get(bdf);
    if (!s) asked.set(bdf, (s = new Set()));
    for (let i = offset; i < offset + length; i++) s.add(i);
  };
  const batch = (dirs: readonly string[], files: readonly string[], links: readonly string[], configMax: number) => {
    const out = readSysfsDirWithFs.batch!(dirs, files, links, configMax);
    out.forEach((r, i) => {
      if (!('error' in r) && r.config) {
        note(`${dirs[i]}/config`, 0, r.configLength);
        total += r.configLength;
      }
    });
    return out;
  };
  const configRanges: ConfigRangeReader = (files) => {
    const opened = readConfigRangesWithFs(files);
    return {
      sizes: opened.sizes,
      read(which, ranges, into) {
        const got = opened.read(which, ranges, into);
        let k = 0;
        which.forEach((i, w) => {
          for (let j = 0; j < ranges[w].length; j += 2, k++) {
            note(files[i], ranges[w][j], got[k]);
            total += got[k];
          }
        });
        return got;
      },
      close: () => opened.close(),
    };
  };
  const one = (dir: string, files: readonly string[], links: readonly string[], configMax: number) => batch([dir], files, links, configMax)[0];
  return { reader: Object.assign(one, { batch, configRanges }), asked, bytes: () => total };
}
