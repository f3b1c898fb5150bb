// Kernel checks: version, CONFIG_PCI_P2PDMA, command-line parameters that change P2P, kernel log.
import type { Fabric } from '../types.js';
import type { CheckDef, Status } from './types.js';
import { capped, parseKernelVersion, uniq, versionAtLeast } from './util.js';

/** Kernel command line split into words, honouring double quotes (GRUB keeps them for `;` lists). */
export function splitCmdline(cmdline: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (const ch of cmdline) {
    if (ch === '"') {
      quoted = !quoted;
      any = true;
      continue;
    }
    if (!quoted && /\s/.test(ch)) {
      if (any) out.push(cur);
      cur = '';
      any = false;
      continue;
    }
    cur += ch;
    any = true;
  }
  if (any) out.push(cur);
  return out;
}

export interface CmdlineFacts {
  /** key -> last value ("" for a bare flag), for the parameters that matter to P2P. */
  params: Map<string, string>;
  /** Options inside pci=... (comma separated), in order: "disable_acs_redir=0000:01:00.0;...". */
  pciOptions: string[];
}

const P2P_PARAMS = ['iommu', 'intel_iommu', 'amd_iommu', 'iommu.passthrough', 'iommu.strict', 'pcie_acs_override', 'pcie_ports', 'pcie_aspm'];

export function parseCmdline(cmdline: string): CmdlineFacts {
  const params = new Map<string, string>();
  const pciOptions: string[] = [];
  for (const w of splitCmdline(cmdline)) {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    const value = eq < 0 ? '' : w.slice(eq + 1);
    if (key === 'pci') pciOptions.push(...value.split(',').filter(Boolean));
    else if (P2P_PARAMS.includes(key)) params.set(key, value);
  }
  return { params, pciOptions };
}

/** Device specs of disable_acs_redir / config_acs (`;`-separated, config_acs items as flags@spec). */
export function acsDeviceSpecs(option: string): string[] {
  const eq = option.indexOf('=');
  const value = eq < 0 ? '' : option.slice(eq + 1);
  return value.split(';').map((s) => s.trim()).filter(Boolean).map((s) => (s.includes('@') ? s.slice(s.indexOf('@') + 1) : s));
}

/** Does a kernel device spec ("0000:01:00.0", "01:00.0", "0000:00:01.0/00.0", "pci:10de:1db6") match anything? */
export function specMatches(fabric: Fabric, spec: string): boolean {
  const s = spec.toLowerCase();
  const pciId = /^pci:([0-9a-f]{4}):([0-9a-f]{4})/.exec(s);
  if (pciId) return fabric.devices.some((d) => d.vendorId === pciId[1] && d.deviceId === pciId[2]);
  const m = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])((?:\/[0-9a-f]{1,2}\.[0-7])*)$/.exec(s);
  if (!m) return false;
  const domain = (m[1] ?? '0').padStart(4, '0');
  const first = `${domain}:${m[2].padStart(2, '0')}:${m[3].padStart(2, '0')}.${m[4]}`;
  if (!m[5]) return fabric.byBdf.has(first);
  // A path: the first function, then devfns below it; accept when the first exists (the rest is bus-relative).
  return fabric.byBdf.has(first);
}

export const kernelVersionCheck: CheckDef = {
  id: 'kernel.version',
  group: 'kernel',
  title: 'Kernel version',
  describe: 'Kernel release: P2PDMA exists since 4.20, userspace p2pmem (mmap + O_DIRECT) since 6.2, pci=config_acs since 6.11.',
  run({ fabric }) {
    const rel = fabric.host.kernelRelease;
    const v = parseKernelVersion(rel);
    if (!v) {
      return {
        status: 'skip',
        evidence: [rel ? `kernel release "${rel}" is not a version number` : `kernel release unknown: ${fabric.source.method === 'dump' ? 'an lspci dump has no /proc' : 'no proc/sys/kernel/osrelease or proc/version in the source'}`],
        devices: [],
      };
    }
    const ver = `${v[0]}.${v[1]}`;
    if (!versionAtLeast(v, 4, 20)) {
      return {
        status: 'fail',
        evidence: [`kernel ${rel}: PCI P2PDMA was added in Linux 4.20; this kernel has none`],
        fix: ['boot a kernel >= 6.2 with CONFIG_PCI_P2PDMA=y'],
        devices: [],
      };
    }
    if (!versionAtLeast(v, 6, 2)) {
      return {
        status: 'warn',
        evidence: [
          `kernel ${rel} (${ver}): in-kernel P2PDMA works (nvmet, RDMA), but userspace p2pmem (mmap of p2pmem/allocate + O_DIRECT into it) needs 6.2 or later`,
          'p2p bench into p2pmem and cuFile with use_pci_p2pdma cannot work on this kernel',
        ],
        fix: ['boot a kernel >= 6.2 (6.11+ adds pci=config_acs) with CONFIG_PCI_P2PDMA=y'],
        devices: [],
      };
    }
    return {
      status: 'ok',
      evidence: [`kernel ${rel}: userspace p2pmem (6.2+) available${versionAtLeast(v, 6, 11) ? ', pci=config_acs available (6.11+)' : '; pci=config_acs needs 6.11 (pci=disable_acs_redir works)'}`],
      devices: [],
    };
  },
};

export const kernelP2pdmaCheck: CheckDef = {
  id: 'kernel.p2pdma',
  group: 'kernel',
  title: 'CONFIG_PCI_P2PDMA',
  describe: 'Whether the kernel was built with CONFIG_PCI_P2PDMA (from /proc/config.gz or /boot/config-RELEASE); p2pmem directories in sysfs prove it too.',
  run({ fabric }) {
    const providers = fabric.devices.filter((d) => d.p2pmem);
    const cfg = fabric.host.kernelConfig;
    const value = cfg?.get('CONFIG_PCI_P2PDMA') ?? null;
    if (value === 'y') {
      return { status: 'ok', evidence: ['CONFIG_PCI_P2PDMA=y in the kernel configuration'], devices: [] };
    }
    if (providers.length > 0) {
      return {
        status: 'ok',
        evidence: [`${providers.length} function(s) have a p2pmem directory in sysfs (${capped(providers.map((d) => d.bdf), 4).join(', ')}), which only a CONFIG_PCI_P2PDMA=y kernel creates`],
        devices: providers.map((d) => d.bdf),
      };
    }
    if (!cfg) {
      return {
        status: 'skip',
        evidence: [
          fabric.source.method === 'dump'
            ? 'kernel configuration unknown: an lspci dump carries none'
            : `kernel configuration not found: no proc/config.gz and no boot/config-${fabric.host.kernelRelease ?? 'RELEASE'} in the source`,
        ],
        devices: [],
      };
    }
    return {
      status: 'fail',
      evidence: [
        value === 'n' ? '# CONFIG_PCI_P2PDMA is not set' : 'CONFIG_PCI_P2PDMA is absent from the kernel configuration',
        'without it the kernel has no P2PDMA: no p2pmem providers, every P2PDMA mapping is refused (stock Debian kernels leave it off)',
        'GPUDirect RDMA (nvidia_peermem) and GPUDirect Storage through nvidia-fs do not use it; cuFile with use_pci_p2pdma and p2p bench do',
      ],
      fix: ['use a kernel built with CONFIG_PCI_P2PDMA=y (it needs CONFIG_ZONE_DEVICE and CONFIG_PCI); e.g. add it to a config fragment and rebuild'],
      devices: [],
    };
  },
};

export const kernelCmdlineCheck: CheckDef = {
  id: 'kernel.cmdline',
  group: 'kernel',
  title: 'Kernel command line',
  describe: 'Parameters that change P2P: iommu=, intel_iommu=, amd_iommu=, iommu.passthrough=, pci=disable_acs_redir=, pci=config_acs=, pci=pcie_bus_*, pci=nommconf, pcie_acs_override=.',
  run({ fabric }) {
    const cmd = fabric.host.cmdline;
    if (cmd === null) {
      return { status: 'skip', evidence: [`kernel command line unknown: ${fabric.source.method === 'dump' ? 'an lspci dump has no /proc' : 'no proc/cmdline in the source'}`], devices: [] };
    }
    const { params, pciOptions } = parseCmdline(cmd);
    const evidence: string[] = [];
    const fix: string[] = [];
    const devices: string[] = [];
    let status: Status = 'ok';
    const relevant = [...[...params].map(([k, v]) => (v === '' ? k : `${k}=${v}`)), ...pciOptions.map((o) => `pci=${o}`)];
    evidence.push(relevant.length ? `P2P-relevant parameters: ${relevant.join(' ')}` : 'none of iommu=, intel_iommu=, amd_iommu=, iommu.passthrough=, pci=... is set: the kernel defaults apply');
    const ver = parseKernelVersion(fabric.host.kernelRelease);
    for (const opt of pciOptions) {
      const key = opt.split('=')[0];
      if (key === 'disable_acs_redir' || key === 'config_acs') {
        const specs = acsDeviceSpecs(opt);
        const missing = specs.filter((s) => !specMatches(fabric, s));
        const present = specs.filter((s) => specMatches(fabric, s));
        for (const p of present) {
          const bdf = /^[0-9a-f]{4,8}:/i.test(p) ? p.toLowerCase() : `0000:${p.toLowerCase()}`;
          if (fabric.byBdf.has(bdf)) devices.push(bdf);
        }
        evidence.push(`pci=${key}: ${specs.length} device(s)${present.length ? `, present: ${present.join(', ')}` : ''}`);
        if (missing.length) {
          status = 'warn';
          evidence.push(`pci=${key} names ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not in this fabric: the kernel ignores ${missing.length === 1 ? 'it' : 'them'} silently (typo, or bus numbers changed)`);
          fix.push(`correct the device list of pci=${key} (BDFs as lspci -D prints them, ';'-separated, quoted in GRUB_CMDLINE_LINUX)`);
        }
        if (key === 'config_acs' && ver && !versionAtLeast(ver, 6, 11)) {
          status = 'warn';
          evidence.push(`pci=config_acs exists since Linux 6.11; kernel ${fabric.host.kernelRelease} ignores it`);
          fix.push('use pci=disable_acs_redir=BDF;... on kernels before 6.11');
        }
      }
      if (key === 'nommconf') {
        status = 'warn';
        evidence.push('pci=nommconf: the kernel cannot read extended config space, so it sees no ACS, AER or ReBAR capability');
        fix.push('remove pci=nommconf unless the platform really needs it');
      }
      if (key === 'pcie_bus_peer2peer') evidence.push('pci=pcie_bus_peer2peer: every MPS set to 128 bytes, safe for peer traffic but slower');
    }
    if (params.has('pcie_acs_override')) {
      status = 'warn';
      evidence.push(`pcie_acs_override=${params.get('pcie_acs_override')}: an out-of-tree patch that makes the kernel pretend devices are isolated; IOMMU groups then no longer reflect what the hardware can do, and P2P verdicts based on ACS may not match the hardware`);
      fix.push('drop pcie_acs_override; use pci=disable_acs_redir=/config_acs= to change ACS for P2P, knowing the isolation cost');
    }
    const iommuOn = params.get('intel_iommu')?.split(',').includes('on') || params.get('amd_iommu')?.split(',').includes('on');
    const pt = params.get('iommu') === 'pt' || params.get('iommu.passthrough') === '1';
    if (iommuOn && !pt) evidence.push('an IOMMU is switched on without iommu=pt: devices get translated (DMA) domains by default (see iommu.translation)');
    if (pt) evidence.push('iommu=pt / iommu.passthrough=1: default domains are identity (no translation for host drivers)');
    return { status, evidence, fix: fix.length ? uniq(fix) : undefined, devices: uniq(devices) };
  },
};

interface LogPattern {
  re: RegExp;
  status: Status;
  what: string;
  fix: string;
}

const IOMMU_FIX = 'IOMMU faults during P2P: peer traffic went through translation where its bus address is not mapped; see iommu.translation (iommu=pt) and acs.redirect, and verify moved bytes';
const LOG_PATTERNS: LogPattern[] = [
  { re: /cannot be used for peer-to-peer DMA/i, status: 'fail', what: 'the kernel refused a P2PDMA mapping', fix: 'P2PDMA refused: see p2p.pairs and `p2p path CLIENT PROVIDER` for why and what to change' },
  { re: /DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault|DMAR:.*fault/i, status: 'fail', what: 'Intel IOMMU (DMAR) DMA faults: device DMA was blocked (peer writes under translation are lost)', fix: IOMMU_FIX },
  { re: /AMD-Vi: Event logged \[IO_PAGE_FAULT|IO_PAGE_FAULT/i, status: 'fail', what: 'AMD IOMMU page faults: device DMA was blocked', fix: IOMMU_FIX },
  { re: /arm-smmu.*(fault|unhandled)/i, status: 'fail', what: 'SMMU faults: device DMA was blocked', fix: IOMMU_FIX },
  { re: /AER:.*(Uncorrect(ed|able)|Fatal)/i, status: 'fail', what: 'uncorrectable PCIe errors (AER)', fix: 'uncorrectable PCIe errors: see link.aer for the device and error type' },
  { re: /AER:.*Corrected error/i, status: 'warn', what: 'corrected PCIe errors (AER): link retries cost bandwidth', fix: 'corrected PCIe errors: see link.aer; reseat or move the card if they keep growing' },
  { re: /NVRM: .*(Xid|GPU has fallen off the bus)/i, status: 'warn', what: 'NVIDIA driver errors (Xid)', fix: 'NVIDIA Xid errors: look the codes up in NVIDIA\'s Xid catalogue; Xid 79 (fallen off the bus) is a PCIe link or power problem' },
  { re: /nvidia[-_]fs.*(error|fail)/i, status: 'warn', what: 'nvidia-fs errors', fix: 'nvidia-fs errors: check the nvidia-fs and driver versions match (gdscheck -p)' },
  { re: /limited by .* link at/i, status: 'warn', what: 'the kernel noticed a link slower than the device can do', fix: 'bandwidth-limited link: see link.speed' },
];

export const kernelLogCheck: CheckDef = {
  id: 'kernel.dmesg',
  group: 'kernel',
  title: 'Kernel log',
  describe: 'Kernel log lines that mean P2P failed or degraded: refused P2PDMA mappings, IOMMU (DMAR/AMD-Vi/SMMU) faults, AER errors, bandwidth-limited links.',
  run({ env }) {
    if (!env.dmesg.known) return { status: 'skip', evidence: [env.dmesg.reason], devices: [] };
    const lines = env.dmesg.value.split('\n');
    const evidence: string[] = [];
    const statuses: Status[] = [];
    const devices: string[] = [];
    const fix: string[] = [];
    for (const p of LOG_PATTERNS) {
      const hits = lines.filter((l) => p.re.test(l));
      if (!hits.length) continue;
      statuses.push(p.status);
      fix.push(p.fix);
      evidence.push(`${hits.length} line(s): ${p.what}`);
      for (const h of hits.slice(0, 3)) evidence.push(`  ${h.trim().slice(0, 200)}`);
      for (const h of hits) for (const m of h.matchAll(/\b([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])\b/gi)) devices.push(m[1].toLowerCase());
    }
    if (!statuses.length) {
      return { status: 'ok', evidence: [`${lines.filter(Boolean).length} log line(s) from ${env.dmesg.source}: no P2P refusals, IOMMU faults or PCIe errors`], devices: [] };
    }
    const status: Status = statuses.includes('fail') ? 'fail' : 'warn';
    evidence.unshift(`from ${env.dmesg.source}:`);
    return {
      status,
      evidence,
      fix: uniq(fix),
      devices: uniq(devices),
    };
  },
};

/** Pairs this kernel refuses (or leaves unknown) that a newer release's rules allow: the upgrade as a fix. */
export const kernelNewerRulesCheck: CheckDef = {
  id: 'kernel.newer-rules',
  group: 'kernel',
  title: 'Pairs a newer kernel allows',
  describe: 'Candidate pairs the running kernel refuses for P2PDMA that a newer release allows (allow-list rows, rules), with the release and commit.',
  run({ fabric }, ctx) {
    if (!fabric.host.kernelRelease) {
      return { status: 'skip', evidence: ['kernel release unknown: pair verdicts give the answer by release range instead'], devices: [] };
    }
    const gains = ctx.pairs().filter((p) => p.verdict.mapType !== 'BUS_ADDR' && p.verdict.fixes.some((f) => f.kind === 'kernel-upgrade'));
    if (gains.length === 0) {
      return { status: 'ok', evidence: [`no candidate pair would be decided better by a newer kernel than ${fabric.host.kernelRelease}`], devices: [] };
    }
    const evidence = gains.map((p) => {
      const n = p.verdict.newer!;
      return `${ctx.label(p.client)} -> ${ctx.label(p.provider)}: ${p.verdict.verdict} on ${p.verdict.kernel.rules}; ${n.mapType} from ${n.from}${n.commits.length ? ` (${n.commits.join(', ')})` : ''}`;
    });
    const fix = [...new Set(gains.map((p) => p.verdict.fixes.find((f) => f.kind === 'kernel-upgrade')!).map((f) => `${f.text} (cost: ${f.tradeoff})`))];
    return { status: 'warn', evidence: capped(evidence), fix, devices: [...new Set(gains.flatMap((p) => [p.client, p.provider]))] };
  },
};
