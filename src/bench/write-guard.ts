// The write test's safety rules. `decideWrite` is pure (facts in, decision out) so the refusal logic is
// tested without a disk; `gatherBlockFacts` reads those facts from sysfs and /proc (root as a parameter).
import { readFileSync, readdirSync, readlinkSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';

/** What we know about the target of a write test. */
export interface WriteTargetFacts {
  path: string;
  kind: 'file' | 'block' | 'other';
  /** Kernel name of a block device ("nvme0n1"), null for files. */
  blockName: string | null;
  /** The device is itself a partition (nvme0n1p1). */
  isPartition: boolean;
  /** Partitions the kernel found on it (sysfs), e.g. ["nvme0n1p1"]. */
  partitions: string[];
  /** A partition-table signature in the first sectors (MBR 0x55AA or "EFI PART"); null when unread. */
  partitionTableSignature: 'mbr' | 'gpt' | null;
  /** Mount points of the device or any of its partitions (from /proc/self/mountinfo). */
  mounts: string[];
  /** dm/md devices stacked on it (sysfs holders/). */
  holders: string[];
  /** Used as swap (/proc/swaps). */
  swap: boolean;
}

export interface WriteRequest {
  write: boolean;
  force: boolean;
  /** Byte range that will be overwritten. */
  offset: number;
  length: number;
}

export interface WriteDecision {
  allowed: boolean;
  /** One line: why not (refusals), or null. */
  reason: string | null;
  /** What will be overwritten, said before the run starts (null for read-only runs). */
  warning: string | null;
}

function fmtRange(offset: number, length: number): string {
  const mib = (n: number) => (n / 1048576).toFixed(n % 1048576 === 0 ? 0 : 1);
  return `bytes ${offset}..${offset + length - 1} (${mib(length)} MiB at ${mib(offset)} MiB)`;
}

/**
 * Decide whether a write test may run. Read-only runs are always allowed and never write.
 * A block device holding a partition table, partitions, a mounted filesystem, holders or swap is refused
 * unless `force` (the user's explicit override); the warning then names everything it will clobber.
 */
export function decideWrite(facts: WriteTargetFacts, req: WriteRequest): WriteDecision {
  if (!req.write) return { allowed: true, reason: null, warning: null };
  if (facts.kind === 'other') {
    return { allowed: false, reason: `${facts.path} is neither a regular file nor a block device: refusing to write`, warning: null };
  }
  const what = `${fmtRange(req.offset, req.length)} of ${facts.path}`;
  if (facts.kind === 'file') {
    return { allowed: true, reason: null, warning: `--write: this run OVERWRITES data within ${what} with test data` };
  }
  const problems: string[] = [];
  if (facts.mounts.length) problems.push(`mounted at ${facts.mounts.join(', ')}`);
  if (facts.swap) problems.push('in use as swap');
  if (facts.holders.length) problems.push(`held by ${facts.holders.join(', ')}`);
  if (facts.partitions.length) problems.push(`has partitions ${facts.partitions.join(', ')}`);
  else if (facts.partitionTableSignature) problems.push(`holds a ${facts.partitionTableSignature.toUpperCase()} partition table`);
  if (facts.isPartition) problems.push('is a partition');
  const name = facts.blockName ?? facts.path;
  if (problems.length && !req.force) {
    return {
      allowed: false,
      reason: `refusing to write to ${facts.path} (${name}): it ${problems.join('; ')}. Add --force to overwrite it anyway`,
      warning: null,
    };
  }
  const extra = problems.length ? ` — forced although it ${problems.join('; ')}` : '';
  return { allowed: true, reason: null, warning: `--write: this run OVERWRITES data within ${what} (block device ${name})${extra}` };
}

/** Where gatherBlockFacts reads from; tests pass a fixture root. */
export interface FactsEnv {
  /** Directory holding sys/ and proc/ ("/" live). */
  root: string;
  /** First bytes of the device (for the partition-table signature); null when unreadable. */
  readHead?: (path: string, bytes: number) => Uint8Array | null;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
function safeRead(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Partition-table signature in the first sectors: MBR boot signature or GPT header at LBA 1 (512 or 4096). */
export function partitionSignature(head: Uint8Array | null): 'mbr' | 'gpt' | null {
  if (!head) return null;
  const gptAt = (off: number) =>
    head.length >= off + 8 && String.fromCharCode(...head.subarray(off, off + 8)) === 'EFI PART';
  if (gptAt(512) || gptAt(4096)) return 'gpt';
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) {
    // A FAT/NTFS boot sector also ends in 55AA: call it a table only when a partition entry is non-empty.
    for (let i = 0; i < 4; i++) {
      const e = 446 + i * 16;
      if (head[e + 4] !== 0) return 'mbr';
    }
  }
  return null;
}

/** Facts about a block device `name` (kernel name, e.g. "nvme0n1") with device number major:minor. */
export function gatherBlockFacts(path: string, name: string, env: FactsEnv): WriteTargetFacts {
  const sysBlock = join(env.root, 'sys/class/block', name);
  const isPartition = existsSync(join(sysBlock, 'partition'));
  const partitions = safeList(sysBlock).filter((e) => e.startsWith(name) && existsSync(join(sysBlock, e, 'partition'))).sort();
  const devNums = new Set<string>();
  const ownDev = safeRead(join(sysBlock, 'dev'))?.trim();
  if (ownDev) devNums.add(ownDev);
  for (const p of partitions) {
    const d = safeRead(join(sysBlock, p, 'dev'))?.trim();
    if (d) devNums.add(d);
  }
  const names = new Set([name, ...partitions]);
  const mounts: string[] = [];
  const mountinfo = safeRead(join(env.root, 'proc/self/mountinfo')) ?? '';
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length < 10) continue;
    const sep = f.indexOf('-');
    const source = sep > 0 ? f[sep + 2] : '';
    if (devNums.has(f[2]) || names.has(basename(source ?? ''))) mounts.push(f[4]);
  }
  const holders = [...safeList(join(sysBlock, 'holders')), ...partitions.flatMap((p) => safeList(join(sysBlock, p, 'holders')))];
  const swaps = safeRead(join(env.root, 'proc/swaps')) ?? '';
  const swap = swaps.split('\n').slice(1).some((l) => names.has(basename(l.split(/\s+/)[0] ?? '')));
  const head = env.readHead ? env.readHead(path, 8192) : null;
  return {
    path, kind: 'block', blockName: name, isPartition, partitions, partitionTableSignature: partitionSignature(head),
    mounts: [...new Set(mounts)], holders: [...new Set(holders)], swap,
  };
}

/** Kernel block-device name for device number major:minor ("nvme0n1"), via /sys/dev/block. */
export function blockNameFor(major: number, minor: number, root = '/'): string | null {
  try {
    return basename(readlinkSync(join(root, 'sys/dev/block', `${major}:${minor}`)));
  } catch {
    return null;
  }
}
