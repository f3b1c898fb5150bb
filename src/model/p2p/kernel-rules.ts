// The kernel's P2PDMA decision, re-implemented from reading drivers/pci/p2pdma.c
// (calc_map_type_and_dist, pci_p2pdma_distance, host-bridge allow-list, AMD CPU rule).
// Unknown facts (unread config space, unknown CPU) give an "unknown" verdict, never a guess.
import type { HostInfo } from '../raw.js';
import type { Device, Fabric } from '../types.js';
import { AMD_MIN_FAMILY, AMD_VENDOR, KERNEL_ALLOW_LIST, findAllowListEntry, type AllowList } from './allow-list.js';
import { fixesFor } from './fixes.js';
import type { AcsOnPath, HostBridgeCheck, MapType, P2pReason, P2pdmaVerdict } from './types.js';
import {
  acsRedirectState, formatRedirectBits, hostBridgeDevice, hostBridgeOf, idPair, upstreamChain,
} from './walk.js';

const UNKNOWN_WHAT: Partial<Record<string, string>> = {
  'acs-unknown': 'ACS state unreadable',
  'cpu-unknown': 'CPU vendor/family unknown',
  'host-bridge-ids-unknown': 'host bridge IDs unknown',
};

export interface P2pdmaOptions {
  allowList?: AllowList;
}

/** cpu_supports_p2pdma(): true for AMD family >= 0x17; null when the CPU is unknown. */
export function cpuSupportsP2pdma(host: HostInfo): boolean | null {
  // The AMD rule lives in x86 code: on any other architecture only the allow-list can help.
  if (host.arch !== null && host.arch !== 'x64' && host.arch !== 'ia32') return false;
  if (host.cpuVendor === null) return null;
  if (host.cpuVendor !== AMD_VENDOR) return false;
  if (host.cpuFamily === null) return null;
  return host.cpuFamily >= AMD_MIN_FAMILY;
}

/** __host_bridge_whitelist() for one host bridge. */
export function checkHostBridge(
  fabric: Fabric, hostBridge: string, sameHostBridge: boolean, list: AllowList = KERNEL_ALLOW_LIST,
): HostBridgeCheck {
  const hb = hostBridgeDevice(fabric, hostBridge);
  if (!hb.device) {
    return { hostBridge, device: null, ids: null, entry: null, allowed: false, note: hb.note };
  }
  const d = hb.device;
  if (!d.vendorId || !d.deviceId) {
    return {
      hostBridge, device: d.bdf, ids: null, entry: null, allowed: null,
      note: `the vendor/device IDs of ${d.bdf} are unknown, so the allow-list cannot be checked`,
    };
  }
  const ids = idPair(d);
  const entry = findAllowListEntry(list, d.vendorId, d.deviceId);
  if (!entry) {
    return { hostBridge, device: d.bdf, ids, entry: null, allowed: false, note: `${d.bdf} [${ids}] is not in the allow-list` };
  }
  if (entry.sameHostBridgeOnly && !sameHostBridge) {
    return {
      hostBridge, device: d.bdf, ids, entry, allowed: false,
      note: `${d.bdf} [${ids}] (${entry.label}) is allow-listed only for peers under the same host bridge`,
    };
  }
  return { hostBridge, device: d.bdf, ids, entry, allowed: true, note: `${d.bdf} [${ids}] (${entry.label}) is allow-listed` };
}

function sameDevice(a: Device, b: Device): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot;
}

/**
 * The kernel's verdict for DMA from `client` into memory exposed by `provider`
 * (calc_map_type_and_dist(provider, client) and pci_p2pdma_distance()).
 */
export function computeP2pdma(fabric: Fabric, client: Device, provider: Device, opts: P2pdmaOptions = {}): P2pdmaVerdict {
  const list = opts.allowList ?? KERNEL_ALLOW_LIST;
  const reasons: P2pReason[] = [];
  const notes: string[] = [];

  // Walk up from the provider; for each of its ancestors look for it in the client's chain.
  const provChain = upstreamChain(fabric, provider);
  const cliChain = upstreamChain(fabric, client);
  let common: Device | null = null;
  let distA = provChain.length;
  let distB = cliChain.length;
  for (let i = 0; i < provChain.length; i++) {
    const j = cliChain.indexOf(provChain[i]);
    if (j >= 0) {
      common = provChain[i];
      distA = i;
      distB = j;
      break;
    }
  }
  const hops = distA + distB;

  // ACS: every function on the provider's side up to and including the common bridge, then the
  // client's side below it. With no common bridge the kernel's result does not depend on ACS.
  const acsPath: AcsOnPath[] = [];
  if (common) {
    for (const d of provChain.slice(0, distA + 1)) {
      acsPath.push({ bdf: d.bdf, side: 'provider', isCommon: d === common, acs: acsRedirectState(d) });
    }
    for (const d of cliChain.slice(0, distB)) {
      acsPath.push({ bdf: d.bdf, side: 'client', isCommon: false, acs: acsRedirectState(d) });
    }
  }
  const redirecting = acsPath.filter((p) => p.acs.state === 'redirect');
  const unknownAcs = acsPath.filter((p) => p.acs.state === 'unknown');
  // The host-bridge route: needed when there is no common bridge or when ACS redirects.
  const needHostRoute = !common || redirecting.length > 0;
  const mayNeedHostRoute = needHostRoute || unknownAcs.length > 0;
  const hbP = hostBridgeOf(fabric, provider);
  const hbC = hostBridgeOf(fabric, client);

  if (common) {
    if (client === provider) {
      reasons.push({ code: 'same-function', device: provider.bdf, message: `client and provider are the same function (${provider.bdf}): distance 0` });
    } else {
      reasons.push({
        code: 'common-bridge', device: common.bdf,
        message: `common upstream bridge ${common.bdf}: ${distA} hop(s) up from the provider, ${distB} from the client`,
      });
    }
    for (const r of redirecting) {
      if (r.acs.state !== 'redirect') continue;
      const what = r.isCommon ? 'the common bridge' : r.bdf === provider.bdf ? 'the provider itself' : r.bdf === client.bdf ? 'the client itself' : `the ${r.side}'s path`;
      reasons.push({
        code: 'acs-redirect', device: r.bdf,
        message: `ACS ${formatRedirectBits(r.acs.bits)} on ${r.bdf} (${what}) redirects peer requests up to the root complex`,
      });
    }
    for (const u of unknownAcs) {
      if (u.acs.state !== 'unknown') continue;
      reasons.push({ code: 'acs-unknown', device: u.bdf, message: `ACS state unknown: ${u.acs.why}` });
    }
  } else {
    const topP = provChain[provChain.length - 1];
    const topC = cliChain[cliChain.length - 1];
    const where = hbP === hbC
      ? `they meet only at host bridge ${hbP} (under ${topP.bdf} and ${topC.bdf})`
      : `they are under different host bridges (${hbP} and ${hbC})`;
    reasons.push({
      code: 'no-common-bridge', device: null,
      message: `${client.bdf} and ${provider.bdf} do not share an upstream bridge: ${where}`,
    });
  }

  const cpuAllows = cpuSupportsP2pdma(fabric.host);
  const hostBridges: HostBridgeCheck[] = [];
  let hostRoute: boolean | null = null; // true THRU_HOST_BRIDGE, false NOT_SUPPORTED, null unknown
  if (mayNeedHostRoute) {
    let listAllows: boolean | null;
    if (hbP === hbC) {
      const c = checkHostBridge(fabric, hbP, true, list);
      hostBridges.push(c);
      listAllows = c.allowed;
    } else {
      const a = checkHostBridge(fabric, hbP, false, list);
      const b = checkHostBridge(fabric, hbC, false, list);
      hostBridges.push(a, b);
      listAllows = a.allowed === false || b.allowed === false ? false : a.allowed === null || b.allowed === null ? null : true;
    }
    if (cpuAllows === true || listAllows === true) hostRoute = true;
    else if (cpuAllows === false && listAllows === false) hostRoute = false;
    else hostRoute = null;

    const cpuName = `${fabric.host.cpuVendor ?? 'unknown vendor'}${fabric.host.cpuFamily !== null ? ` family 0x${fabric.host.cpuFamily.toString(16)}` : ''}`;
    if (cpuAllows === true) {
      reasons.push({ code: 'cpu-amd-zen', device: null, message: `CPU ${cpuName} is AMD Zen or newer (family >= 0x17): the kernel allows peer traffic through the host bridge` });
    } else {
      if (cpuAllows === false) {
        reasons.push({ code: 'cpu-not-amd-zen', device: null, message: `CPU ${cpuName} is not AMD family >= 0x17, so only the host-bridge allow-list can permit this path` });
      } else {
        reasons.push({ code: 'cpu-unknown', device: null, message: `CPU vendor/family unknown (${cpuName}); the kernel's AMD rule cannot be evaluated` });
      }
      for (const c of hostBridges) {
        if (c.allowed === true) reasons.push({ code: 'allow-listed', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note} (${list.source})` });
        else if (c.allowed === null) reasons.push({ code: 'host-bridge-ids-unknown', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note}` });
        else if (c.device === null) reasons.push({ code: 'no-host-bridge-device', device: null, message: `host bridge ${c.hostBridge}: ${c.note}` });
        else if (c.entry) reasons.push({ code: 'allow-list-same-host-bridge-only', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note}` });
        else reasons.push({ code: 'not-allow-listed', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note} (${list.kernel})` });
      }
    }
  }

  // What the host-bridge route gives, then which routes the kernel may take.
  const viaHost: MapType[] = hostRoute === true ? ['THRU_HOST_BRIDGE'] : hostRoute === false ? ['NOT_SUPPORTED'] : ['THRU_HOST_BRIDGE', 'NOT_SUPPORTED'];
  const possible: MapType[] = needHostRoute ? viaHost : unknownAcs.length > 0 ? ['BUS_ADDR', ...viaHost] : ['BUS_ADDR'];
  const mapType = possible.length === 1 ? possible[0] : null;
  let verdict: string = mapType ?? '';
  if (!mapType) {
    const shortConfig = unknownAcs.some((u) => u.acs.state === 'unknown' && /bytes of/.test(u.acs.why));
    const what = [...new Set(reasons.map((r) => UNKNOWN_WHAT[r.code]).filter((x): x is string => !!x))];
    verdict = shortConfig && fabric.host.isRoot !== true ? 'unknown: needs root' : `unknown: ${what.join(', ') || 'incomplete data'}`;
  }
  const distance = mapType === null ? (possible.includes('NOT_SUPPORTED') ? null : hops) : mapType === 'NOT_SUPPORTED' ? -1 : hops;

  if (mapType === 'BUS_ADDR' && fabric.host.iommuEnabled === true && client !== provider) {
    notes.push('the IOMMU is on: the kernel maps this pair with bus addresses, which real switches route directly; an emulated IOMMU (QEMU intel-iommu) may still translate and fault, so verify the bytes moved');
  }
  if (mapType === 'THRU_HOST_BRIDGE' && common) {
    notes.push('P2P works, but through the root complex (the IOMMU maps it); clearing the ACS redirect bits would make it direct (BUS_ADDR), saving root-complex bandwidth and latency');
  }
  if (provider.p2pmem === null || provider.p2pmem === undefined) {
    notes.push(`${provider.bdf} publishes no p2pmem; the verdict applies once a driver registers its memory as a P2PDMA provider`);
  }
  if (client !== provider && sameDevice(client, provider) && common && distA === 1 && distB === 1) {
    notes.push('two functions of one device: the kernel counts one hop up to the bridge and one back down');
  }

  const v: P2pdmaVerdict = {
    client: client.bdf,
    provider: provider.bdf,
    mapType,
    verdict,
    possible,
    hops,
    distance,
    commonUpstream: common ? common.bdf : null,
    acsPath,
    hostBridges,
    cpu: { vendor: fabric.host.cpuVendor, family: fabric.host.cpuFamily, allows: cpuAllows },
    reasons,
    fixes: [],
    notes,
  };
  v.fixes = fixesFor(fabric, v);
  return v;
}

/** pci_p2pdma_distance() for one client: hops, or -1 when the kernel refuses the pair; null when unknown. */
export function p2pdmaDistance(fabric: Fabric, provider: Device, client: Device, opts: P2pdmaOptions = {}): number | null {
  return computeP2pdma(fabric, client, provider, opts).distance;
}
