// IOMMU translation, ACS redirect between candidate peers, and the kernel's verdict for every pair.
import { configAcsParameter, disableAcsRedirParameter } from '../p2p/fixes.js';
import { acsRedirectState, formatRedirectBits } from '../p2p/walk.js';
import type { Device } from '../types.js';
import type { P2pFix, P2pdmaVerdict } from '../p2p/types.js';
import type { CheckDef, Status } from './types.js';
import { parseCmdline } from './checks-kernel.js';
import { capped, deviceLabel, uniq } from './util.js';

const TRANSLATED = new Set(['DMA', 'DMA-FQ']);

export const iommuCheck: CheckDef = {
  id: 'iommu.translation',
  group: 'iommu',
  title: 'IOMMU and DMA translation',
  describe: 'Whether an IOMMU is active and which default domain type (identity, DMA, DMA-FQ) each P2P candidate\'s group has; translated P2P goes through the root complex and bus-address P2P under translation can be dropped.',
  run({ fabric }, ctx) {
    const host = fabric.host;
    if (host.iommuEnabled === null) {
      return {
        status: 'skip',
        evidence: [`IOMMU state unknown: ${fabric.source.method === 'dump' ? 'an lspci dump has no sysfs' : 'no sys/class/iommu or sys/kernel/iommu_groups in the source'}`],
        devices: [],
      };
    }
    const cmd = host.cmdline ? parseCmdline(host.cmdline).params : new Map<string, string>();
    const cmdText = ['iommu', 'intel_iommu', 'amd_iommu', 'iommu.passthrough', 'iommu.strict'].filter((k) => cmd.has(k)).map((k) => `${k}=${cmd.get(k)}`).join(' ');
    if (host.iommuEnabled === false) {
      return {
        status: 'ok',
        evidence: [
          'no IOMMU is active (sys/class/iommu is empty): devices DMA with bus addresses, and the kernel does not turn on ACS redirect',
          ...(cmdText ? [`command line: ${cmdText}`] : []),
        ],
        devices: [],
      };
    }
    const cands = ctx.candidates().length ? ctx.candidates() : fabric.devices.filter((d) => d.iommuGroup !== null);
    const types = host.iommuGroupTypes;
    const translated: Device[] = [];
    const identity: Device[] = [];
    const unknownType: Device[] = [];
    for (const d of cands) {
      const t = d.iommuGroup !== null ? types?.get(d.iommuGroup) ?? null : null;
      if (t === null) unknownType.push(d);
      else if (TRANSLATED.has(t)) translated.push(d);
      else if (t === 'identity') identity.push(d);
    }
    const evidence: string[] = ['an IOMMU is active' + (cmdText ? ` (command line: ${cmdText})` : '')];
    const byType = new Map<string, string[]>();
    for (const d of cands) {
      const t = d.iommuGroup !== null ? types?.get(d.iommuGroup) ?? 'unknown' : 'no group';
      byType.set(t, [...(byType.get(t) ?? []), d.iommuGroup !== null ? `${deviceLabel(d)} group ${d.iommuGroup}` : deviceLabel(d)]);
    }
    for (const [t, list] of byType) evidence.push(`${t}: ${capped(list, 6).join(', ')}`);
    const acsNote = 'with an IOMMU active the kernel turns on ACS redirect (ReqRedir, CmpltRedir) at every ACS-capable downstream and root port, in identity mode too, so peer traffic through those ports goes up to the root complex (see acs.redirect)';
    if (translated.length === 0 && unknownType.length === 0) {
      evidence.push('every P2P candidate has an identity (passthrough) domain: bus addresses reach peers untranslated');
      evidence.push(acsNote);
      return { status: 'ok', evidence, devices: [] };
    }
    evidence.push(
      'consequence: THRU_HOST_BRIDGE pairs are mapped through the IOMMU and work; BUS_ADDR pairs rely on the switch routing the TLP directly, and any such TLP that reaches the root complex (ACS redirect, emulated or non-compliant switches) is translated as an unmapped address: DMA faults and lost or wrong data',
      'measured in the lab: with QEMU intel-iommu a P2P read returned success but the bytes did not match, with DMAR faults in dmesg',
      acsNote,
    );
    const risky = new Set([...translated, ...unknownType].map((d) => d.bdf));
    const atRisk = ctx.pairs().filter((p) => p.verdict.mapType === 'BUS_ADDR' && p.client !== p.provider && (risky.has(p.client) || risky.has(p.provider)));
    if (atRisk.length) {
      evidence.push(`${atRisk.length} BUS_ADDR pair(s) under translation, where a misrouted peer TLP is lost: ${capped(atRisk.map((p) => `${ctx.label(p.client)} ↔ ${ctx.label(p.provider)}`), 4).join('; ')}`);
    }
    if (unknownType.length && !translated.length) evidence.push(`domain type unknown for ${unknownType.length} candidate(s) (no iommu_groups/N/type in the source): the default on most distributions is DMA (translated)`);
    return {
      status: 'warn',
      evidence,
      fix: [
        'boot with iommu=pt (Intel: intel_iommu=on iommu=pt; AMD: iommu=pt) so host drivers get identity domains; VFIO device assignment keeps working',
        'or per group (Linux 5.11+): unbind the group\'s drivers, echo identity > /sys/kernel/iommu_groups/N/type, rebind',
        'trade-off: identity domains give up DMA protection for the host\'s own drivers (a buggy or hostile device can reach all memory)',
        'whatever the mode: verify the bytes P2P moved (p2p bench verifies), success codes alone lie under translation',
      ],
      devices: uniq([...translated, ...unknownType].map((d) => d.bdf)),
    };
  },
};

export const acsCheck: CheckDef = {
  id: 'acs.redirect',
  group: 'acs',
  title: 'ACS redirect between peers',
  describe: 'Bridges on the path between candidate peers with ACS ReqRedir / CmpltRedir / EgressCtrl enabled: the pairs they turn from direct (BUS_ADDR) into root-complex routed or refused, and the parameter that clears them.',
  run({ fabric }, ctx) {
    const pairs = ctx.pairs();
    if (pairs.length === 0) return { status: 'skip', evidence: ['fewer than two P2P candidates (GPU, NVMe, NIC, accelerator, p2pmem provider): no path to check'], devices: [] };
    const onPaths = new Map<string, Set<string>>(); // bridge -> pair labels
    const redirecting = new Map<string, string>(); // bdf -> bits
    const unknownAcs = new Map<string, string>();
    for (const p of pairs) {
      const pairLabel = `${ctx.label(p.client)} ↔ ${ctx.label(p.provider)}`;
      for (const a of p.verdict.acsPath) {
        if (!onPaths.has(a.bdf)) onPaths.set(a.bdf, new Set());
        onPaths.get(a.bdf)!.add(pairLabel);
        if (a.acs.state === 'redirect') redirecting.set(a.bdf, formatRedirectBits(a.acs.bits));
        else if (a.acs.state === 'unknown') unknownAcs.set(a.bdf, a.acs.why);
      }
    }
    // Bridges with redirect bits that no candidate path crosses still matter to other devices: mention them.
    const elsewhere = fabric.devices.filter((d) => d.children.length > 0 && !onPaths.has(d.bdf) && acsRedirectState(d).state === 'redirect');
    if (onPaths.size === 0) {
      return {
        status: 'ok',
        evidence: [
          'no candidate pair shares an upstream bridge, so ACS does not decide any verdict (see p2p.pairs)',
          ...(elsewhere.length ? [`ACS redirect is on at ${capped(elsewhere.map((d) => d.bdf), 6).join(', ')}`] : []),
        ],
        devices: [],
      };
    }
    if (redirecting.size === 0) {
      if (unknownAcs.size > 0) {
        return {
          status: 'skip',
          evidence: [
            `ACS state unknown at ${unknownAcs.size} of ${onPaths.size} function(s) between candidate peers: ${capped([...unknownAcs.keys()].sort(), 6).join(', ')}`,
            [...unknownAcs.values()][0],
          ],
          fix: ['run as root (or read a snapshot taken as root): ACS lives in extended config space'],
          devices: [...unknownAcs.keys()].sort(),
        };
      }
      return {
        status: 'ok',
        evidence: [`${onPaths.size} function(s) between candidate peers: none has ReqRedir, CmpltRedir or EgressCtrl enabled`],
        devices: [],
      };
    }
    const bdfs = [...redirecting.keys()].sort();
    const evidence: string[] = [];
    for (const [bdf, bits] of redirecting) {
      const ps = [...(onPaths.get(bdf) ?? [])];
      const d = fabric.byBdf.get(bdf);
      evidence.push(`${d ? deviceLabel(d) : bdf}${d ? ` (${d.kind})` : ''}: ${bits}; on the path of ${ps.length} pair(s): ${capped(ps, 3).join('; ')}`);
    }
    const affected = pairs.filter((p) => p.verdict.acsPath.some((a) => a.acs.state === 'redirect'));
    const thru = affected.filter((p) => p.verdict.mapType === 'THRU_HOST_BRIDGE').length;
    const refused = affected.filter((p) => p.verdict.mapType === 'NOT_SUPPORTED').length;
    evidence.push(`effect: redirected requests go up to the root complex instead of across the switch; of ${affected.length} affected pair(s), ${thru} become THRU_HOST_BRIDGE (through the root complex and IOMMU) and ${refused} NOT_SUPPORTED`);
    if (unknownAcs.size) evidence.push(`ACS state unknown at ${unknownAcs.size} more function(s) (needs root): ${capped([...unknownAcs.keys()].sort(), 4).join(', ')}`);
    if (elsewhere.length) evidence.push(`also redirecting, off candidate paths: ${capped(elsewhere.map((d) => d.bdf), 4).join(', ')}`);
    const iommuOn = fabric.host.iommuEnabled === true;
    const fix = [
      `boot with ${disableAcsRedirParameter(bdfs)}${bdfs.length > 1 ? ' (quote it in GRUB_CMDLINE_LINUX: the semicolons separate devices)' : ''}: the kernel clears ReqRedir, CmpltRedir and EgressCtrl on exactly these ports`,
      `or, on Linux 6.11+, ${configAcsParameter(bdfs)} (clears the same three bits, leaves the others)`,
      iommuOn
        ? 'the kernel set these bits because an IOMMU is active; with the IOMMU off (intel_iommu=off / amd_iommu=off) ACS stays as firmware left it'
        : 'no IOMMU is active, so firmware set these bits: look for a PCIe "ACS Control" option in the BIOS setup',
      'trade-off: devices below these ports can then reach each other without the IOMMU checking, and the kernel merges their IOMMU groups (VFIO must assign the whole group to one owner)',
    ];
    return { status: 'warn', evidence, fix, devices: uniq([...bdfs, ...affected.flatMap((p) => [p.client, p.provider])]) };
  },
};

/** The reasons that decided a verdict, short: what blocks the direct path and what the host bridge says. */
export function decisiveReasons(v: P2pdmaVerdict): string {
  const parts: string[] = [];
  for (const r of v.reasons) {
    switch (r.code) {
      case 'no-common-bridge': parts.push('no common upstream bridge'); break;
      case 'acs-redirect': parts.push(`ACS redirect at ${r.device}`); break;
      case 'acs-unknown': parts.push(`ACS unknown at ${r.device}`); break;
      case 'cpu-amd-zen': parts.push('AMD Zen CPU allows the host-bridge route'); break;
      case 'cpu-unknown': parts.push('CPU unknown'); break;
      case 'allow-listed': parts.push(r.message.replace(/ \(drivers\/pci[^)]*\)$/, '')); break;
      case 'not-allow-listed':
      case 'allow-list-same-host-bridge-only':
      case 'no-host-bridge-device':
      case 'host-bridge-ids-unknown':
        parts.push(r.message);
        break;
      default: break;
    }
  }
  return uniq(parts).join('; ') || v.verdict;
}

export const pairsCheck: CheckDef = {
  id: 'p2p.pairs',
  group: 'p2p',
  title: 'P2PDMA verdicts between GPUs, NVMe and NICs',
  describe: 'The kernel\'s P2PDMA verdict (BUS_ADDR, THRU_HOST_BRIDGE, NOT_SUPPORTED) for every pair of candidate devices; NOT_SUPPORTED pairs are listed with the reason and `p2p path` for details.',
  run(_input, ctx) {
    const pairs = ctx.pairs();
    if (pairs.length === 0) return { status: 'skip', evidence: ['fewer than two P2P candidates (GPU, NVMe, NIC, accelerator, p2pmem provider)'], devices: [] };
    const counts = { BUS_ADDR: 0, THRU_HOST_BRIDGE: 0, NOT_SUPPORTED: 0, unknown: 0 };
    for (const p of pairs) counts[p.verdict.mapType ?? 'unknown']++;
    const evidence = [
      `${pairs.length} pair(s) among ${ctx.candidates().length} candidate(s): ${counts.BUS_ADDR} BUS_ADDR (direct), ${counts.THRU_HOST_BRIDGE} THRU_HOST_BRIDGE (via the root complex), ${counts.NOT_SUPPORTED} NOT_SUPPORTED, ${counts.unknown} unknown`,
    ];
    const refused = pairs.filter((p) => p.verdict.mapType === 'NOT_SUPPORTED');
    const thru = pairs.filter((p) => p.verdict.mapType === 'THRU_HOST_BRIDGE');
    const unknownPairs = pairs.filter((p) => p.verdict.mapType === null);
    evidence.push(...capped(refused.map((p) =>
      `NOT_SUPPORTED ${ctx.label(p.client)} ↔ ${ctx.label(p.provider)}: ${decisiveReasons(p.verdict)} (details: p2p path ${p.client} ${p.provider})`), 15));
    // The others, grouped by why: one line per distinct reason with an example pair.
    const grouped = (list: typeof pairs, what: string) => {
      const by = new Map<string, typeof pairs>();
      for (const p of list) {
        const k = p.verdict.mapType === null ? p.verdict.verdict : decisiveReasons(p.verdict);
        by.set(k, [...(by.get(k) ?? []), p]);
      }
      return [...by].map(([why, ps]) => `${what} ${ps.length} pair(s): ${why} (e.g. ${ctx.label(ps[0].client)} ↔ ${ctx.label(ps[0].provider)}; p2p path ${ps[0].client} ${ps[0].provider})`);
    };
    evidence.push(...capped(grouped(thru, 'THRU_HOST_BRIDGE'), 6));
    evidence.push(...capped(grouped(unknownPairs, 'unknown'), 4));
    let status: Status = 'ok';
    if (refused.length) status = 'fail';
    else if (thru.length) status = 'warn';
    else if (unknownPairs.length) status = 'skip';
    const fixes = summariseFixes([...refused, ...thru, ...unknownPairs].flatMap((p) => p.verdict.fixes));
    const devs = [...refused, ...thru, ...unknownPairs].flatMap((p) => [p.client, p.provider]);
    return { status, evidence, fix: fixes.length ? fixes : undefined, devices: uniq(devs) };
  },
};

/** Pair fixes, deduplicated: one "run as root" line, ACS parameters pointed at acs.redirect, the rest unique. */
function summariseFixes(fixes: P2pFix[]): string[] {
  const out: string[] = [];
  if (fixes.some((f) => f.kind === 'run-as-root')) out.push('run as root (or read a snapshot captured as root): ACS lives in extended config space, past what non-root readers get');
  if (fixes.some((f) => f.kind === 'kernel-parameter')) out.push('clear ACS redirect on the bridges acs.redirect lists (pci=disable_acs_redir= / pci=config_acs=): those pairs become BUS_ADDR');
  const rest = uniq(fixes.filter((f) => f.kind !== 'run-as-root' && f.kind !== 'kernel-parameter').map((f) => `${f.text} (cost: ${f.tradeoff})`));
  return [...out, ...capped(rest, 6)];
}
