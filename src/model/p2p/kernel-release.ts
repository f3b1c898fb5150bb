// A kernel release string ("5.14.0-427.el9", "6.8.0-45-generic", "latest") to the upstream base its
// P2PDMA rules come from, and whether that distribution is known to backport P2PDMA changes.
import { LATEST_RELEASE, parseVersion, type KernelVersion } from './release-table.js';
import type { P2pdmaVerdict } from './types.js';

export interface KernelRelease {
  /** As read or given ("6.8.0-45-generic"), or "latest". */
  raw: string;
  /** Upstream base ("6.8.0" -> 6.8, patch 0). */
  version: KernelVersion;
  /** "Ubuntu", "RHEL", "Debian"..., or null for a plain upstream string. */
  distro: string | null;
  /** Set where the distribution backports P2PDMA changes into its base: the verdict may differ. */
  backportNote: string | null;
}

interface DistroPattern { test: RegExp; distro: string; backports: boolean }

const DISTROS: readonly DistroPattern[] = [
  { test: /\.el\d+(uek)?|\.rhel/i, distro: 'RHEL', backports: true },
  { test: /-\d+(\.\d+)*-default$|-150\d00\./, distro: 'SUSE', backports: true },
  { test: /\.fc\d+/, distro: 'Fedora', backports: false },
  { test: /^\d+\.\d+\.\d+-\d+-(generic|lowlatency|aws|azure|gcp|oracle|nvidia|kvm|raspi)/, distro: 'Ubuntu', backports: false },
  { test: /~deb\d+|-(amd64|arm64|cloud-amd64|rt-amd64)$/, distro: 'Debian', backports: false },
];

const BACKPORT_NOTE = (distro: string, base: string) =>
  `${distro} kernels carry backported P2PDMA changes on top of ${base}: the rules of upstream ${base} are used, and this kernel's verdict may differ`;

/** Upstream base and distribution of a release string; null when it holds no version number. */
export function parseKernelRelease(raw: string): KernelRelease | null {
  const text = raw.trim();
  if (text === 'latest') return { raw: 'latest', version: parseVersion(LATEST_RELEASE)!, distro: null, backportNote: null };
  const version = parseVersion(text);
  if (!version) return null;
  const d = DISTROS.find((p) => p.test.test(text)) ?? null;
  const base = `${version.major}.${version.minor}`;
  return { raw: text, version, distro: d?.distro ?? null, backportNote: d?.backports ? BACKPORT_NOTE(d.distro, base) : null };
}

/** One line naming the release a verdict was computed for: "6.8.0-45-generic (Ubuntu; rules of upstream 6.8)". */
export function describeKernel(k: P2pdmaVerdict['kernel']): string {
  if (!k.release) return 'release unknown: the answer of each release range is given';
  const what = [k.distro, k.release === 'latest' ? `newest rules known, ${k.rules}` : `rules of upstream ${k.rules}`].filter(Boolean).join('; ');
  return `${k.release} (${what})${k.mayDiffer ? ', may differ: see below' : ''}`;
}
