// What would change a P2PDMA verdict: kernel parameters, firmware settings, card placement, each
// with its cost. Pure: builds text from a verdict already computed.
import type { Fabric } from '../types.js';
import { KERNEL_ALLOW_LIST, findAllowListEntry } from './allow-list.js';
import type { MapType, P2pFix, P2pdmaVerdict } from './types.js';

/** config_acs flags, bit 6 (DirectTrans) first and bit 0 (SrcValid) last: clear EgressCtrl,
 *  CmpltRedir and ReqRedir, leave every other bit as it is. */
export const CONFIG_ACS_CLEAR_REDIRECT = 'x0x00xx';

const ISOLATION_COST =
  'removes ACS isolation at these ports: devices below them can reach each other without the IOMMU ' +
  'checking, and the kernel merges their IOMMU groups (VFIO must then assign the whole group to one owner)';

export function disableAcsRedirParameter(bdfs: readonly string[]): string {
  return `pci=disable_acs_redir=${bdfs.join(';')}`;
}

export function configAcsParameter(bdfs: readonly string[]): string {
  return `pci=config_acs=${bdfs.map((b) => `${CONFIG_ACS_CLEAR_REDIRECT}@${b}`).join(';')}`;
}

const RANK: Record<MapType, number> = { NOT_SUPPORTED: 0, THRU_HOST_BRIDGE: 1, BUS_ADDR: 2 };

/** A newer kernel that allows what this one refuses (or maps it better). */
function upgradeFix(v: P2pdmaVerdict): P2pFix | null {
  const n = v.newer;
  if (!n || n.mapType === null || (v.mapType !== null && RANK[n.mapType] <= RANK[v.mapType])) return null;
  const commits = n.commits.length ? ` (${n.commits.join(', ')})` : '';
  return {
    kind: 'kernel-upgrade',
    text: `run Linux ${n.from} or later${commits}: its rules make this pair ${n.mapType}${v.kernel.rules ? ` (${v.verdict} on ${v.kernel.rules})` : ''}`,
    tradeoff: 'a kernel upgrade and reboot: out-of-tree drivers (GPU, RDMA) must be rebuilt for it, and a distribution may not ship that release for this machine',
  };
}

/** ", or backporting 0ba76b19fd4c (upstream from 7.2)" when a later release lists the IDs. */
function laterEntry(ids: string): string {
  const [vendor, device] = ids.split(':');
  const e = findAllowListEntry(KERNEL_ALLOW_LIST, vendor, device);
  if (!e) return '';
  if (e.since === 'queued') return ' (the ID is queued upstream, in no release yet)';
  return e.commit ? `, or backporting ${e.commit} (upstream from ${e.since})` : ` (upstream lists it from ${e.since})`;
}

/** Clearing the ACS redirect bits on the path below a common bridge: two kernel parameters, the IOMMU, the BIOS. */
function acsFixes(fabric: Fabric, redirecting: readonly string[]): P2pFix[] {
  const fixes: P2pFix[] = [];
  const quoted = redirecting.length > 1 ? ' (quote it in GRUB_CMDLINE_LINUX: the semicolons separate devices)' : '';
  fixes.push({
    kind: 'kernel-parameter',
    parameter: disableAcsRedirParameter(redirecting),
    text: `boot with ${disableAcsRedirParameter(redirecting)}${quoted}: the kernel clears ReqRedir, CmpltRedir and EgressCtrl on exactly these functions, after the IOMMU code enabled them, and the pair becomes BUS_ADDR`,
    tradeoff: ISOLATION_COST,
  });
  fixes.push({
    kind: 'kernel-parameter',
    parameter: configAcsParameter(redirecting),
    text: `or, on Linux 6.11 and later, ${configAcsParameter(redirecting)}: the same three bits cleared, every other ACS bit left as firmware/kernel set it`,
    tradeoff: ISOLATION_COST,
  });
  const iommu = fabric.host.iommuEnabled;
  if (iommu !== false) {
    fixes.push({
      kind: 'iommu',
      text: `${iommu === true ? 'the IOMMU is on, and' : 'if an IOMMU is active,'} the kernel turns ACS redirect on itself; booting with the IOMMU off (intel_iommu=off / amd_iommu=off) leaves ACS as firmware set it`,
      tradeoff: 'no DMA remapping at all: no VFIO device assignment, no protection against stray device DMA',
    });
  }
  if (iommu !== true) {
    fixes.push({
      kind: 'bios',
      text: `${iommu === false ? 'with no IOMMU active the kernel does not enable ACS, so firmware set these bits' : 'if no IOMMU is active, firmware set these bits'}: look for a PCIe "ACS" / "ACS Control" option in the BIOS setup (often under PCIe or IIO configuration) and disable it`,
      tradeoff: ISOLATION_COST,
    });
  }
  return fixes;
}

/** When the route through the host bridge is refused: card placement, the allow-list (a kernel patch), the CPU. */
function hostRouteFixes(v: P2pdmaVerdict): P2pFix[] {
  const fixes: P2pFix[] = [];
  const refusedHostBridge = v.hostBridges.filter((h) => h.allowed === false);
  if (!v.commonUpstream) {
    fixes.push({
      kind: 'move-card',
      text: 'put both devices under one PCIe switch (or one root port): below a common bridge the kernel needs no host-bridge allow-list',
      tradeoff: 'uses a switch slot; both devices then share the switch uplink to the CPU',
    });
  }
  const sameOnly = refusedHostBridge.filter((h) => h.entry && h.entry.sameHostBridgeOnly);
  if (sameOnly.length > 0) {
    fixes.push({
      kind: 'move-card',
      text: `move both devices under one host bridge: ${sameOnly.map((h) => `${h.hostBridge} [${h.ids}]`).join(', ')} is allow-listed only for peers that share it`,
      tradeoff: 'may move a card away from its NUMA node or onto a slower slot',
    });
  }
  const seenIds = new Set<string>();
  for (const h of refusedHostBridge.filter((x) => !x.entry)) {
    if (h.ids && seenIds.has(h.ids)) continue;
    if (h.ids) seenIds.add(h.ids);
    fixes.push({
      kind: 'kernel-patch',
      text: h.ids
        ? `no kernel parameter extends the allow-list: adding ${h.ids} to pci_p2pdma_whitelist[] in drivers/pci/p2pdma.c needs a kernel rebuild${laterEntry(h.ids)}, and is only safe if the platform vendor confirms the root complex forwards peer-to-peer TLPs between its ports`
        : `the kernel found no host bridge device to match (${h.note}); only a kernel change can allow this path`,
      tradeoff: 'a root complex that does not really forward peer traffic can drop or corrupt it silently; verify the bytes',
    });
  }
  if (v.cpu.allows === false && v.cpu.vendor === 'AuthenticAMD') {
    fixes.push({
      kind: 'bios',
      text: 'this AMD CPU predates Zen (family < 0x17); the kernel allows host-bridge P2P on Zen and newer',
      tradeoff: 'needs different hardware',
    });
  }
  return fixes;
}

/** Every fix for a pair not already BUS_ADDR, in order: a newer kernel, root, the ACS bits, the host route. */
export function fixesFor(fabric: Fabric, v: P2pdmaVerdict): P2pFix[] {
  const fixes: P2pFix[] = [];
  if (v.mapType === 'BUS_ADDR') return fixes;
  const upgrade = upgradeFix(v);
  if (upgrade) fixes.push(upgrade);

  const redirecting = v.acsPath.filter((p) => p.acs.state === 'redirect').map((p) => p.bdf);
  const unknown = v.acsPath.filter((p) => p.acs.state === 'unknown');

  if (unknown.length > 0 && v.mapType === null) {
    fixes.push({
      kind: 'run-as-root',
      text: 'run as root (or read a snapshot captured as root): the ACS capability lives in extended config space, which only root can read',
      tradeoff: 'none; it only lets the tool see what the kernel sees',
    });
  }
  if (v.commonUpstream && redirecting.length > 0) fixes.push(...acsFixes(fabric, redirecting));
  if (v.possible.includes('NOT_SUPPORTED') && (!v.commonUpstream || redirecting.length > 0 || unknown.length > 0)) fixes.push(...hostRouteFixes(v));
  return fixes;
}
