// The path pane's lines for one pair: the verdict first (what the user came for), then hop by hop,
// the bottleneck link with its ceiling, the reasons and the fixes. Pure: PathReport in, lines out.
import { formatLink, isDowntrained } from '../model/link-math.js';
import { formatBytesPerSecond } from '../model/units.js';
import type { PathHop, PathReport } from '../model/p2p/path.js';
import { describeKernel } from '../model/p2p/kernel-release.js';
import type { MapType } from '../model/p2p/types.js';

export type LineTone = 'ok' | 'warn' | 'bad' | 'dim' | 'heading' | 'plain';

export interface PaneLine {
  text: string;
  tone: LineTone;
}

export const VERDICT_GLYPH: Record<MapType | 'unknown', string> = {
  BUS_ADDR: '✓', THRU_HOST_BRIDGE: '~', NOT_SUPPORTED: '✗', unknown: '?',
};

export function verdictTone(m: MapType | null): LineTone {
  return m === 'BUS_ADDR' ? 'ok' : m === 'THRU_HOST_BRIDGE' ? 'warn' : m === 'NOT_SUPPORTED' ? 'bad' : 'warn';
}

/** What the kernel's answer means for a user, in a few words. */
export function verdictMeaning(m: MapType | null): string {
  switch (m) {
    case 'BUS_ADDR': return 'direct: peer-to-peer TLPs stay below the common bridge';
    case 'THRU_HOST_BRIDGE': return 'allowed, through the host bridge (root complex)';
    case 'NOT_SUPPORTED': return 'the kernel refuses peer-to-peer DMA for this pair';
    default: return 'cannot be decided from what was read';
  }
}

const ROLE: Record<PathHop['role'], string> = {
  source: 'from', up: 'up', turn: 'TURN', down: 'down', destination: 'to', 'host-bridge': 'HOST', interconnect: '<->',
};

function acsText(h: PathHop): { text: string; tone: LineTone } | null {
  if (!h.acs) return null;
  switch (h.acs.state) {
    case 'none': return null;
    case 'clear': return { text: 'ACS clear', tone: 'plain' };
    case 'unknown': return { text: 'ACS unknown (needs root)', tone: 'warn' };
    case 'redirect': return { text: `ACS redirect ${h.acs.bits.join(' ')}`, tone: 'bad' };
  }
}

export function pathLines(r: PathReport): PaneLine[] {
  const out: PaneLine[] = [];
  const v = r.verdict;
  const glyph = VERDICT_GLYPH[v.mapType ?? 'unknown'];
  out.push({ text: `${glyph} ${v.verdict}: ${verdictMeaning(v.mapType)}${v.distance !== null && v.distance >= 0 ? ` (distance ${v.distance})` : ''}`, tone: verdictTone(v.mapType) });
  out.push({ text: `  legend ${r.legend.legend ?? '?'}: ${r.legend.why}`, tone: 'dim' });
  out.push({ text: `  kernel ${describeKernel(v.kernel)}`, tone: 'dim' });
  if (v.reasons.length) out.push({ text: `  why: ${v.reasons.map((x) => x.message).join('; ')}`, tone: 'plain' });

  // Bottleneck: the narrowest link and the ceiling it sets.
  if (r.narrowest) {
    const l = r.narrowest.link;
    const ceiling = r.ceiling ? ` → ceiling ${formatBytesPerSecond(r.ceiling.bytesPerSecond)} per direction` : '';
    const down = isDowntrained(l) === true;
    out.push({
      text: `  bottleneck: ${r.narrowest.lower} ↔ ${r.narrowest.upper} at ${formatLink(l.speed, l.width)}${down ? ` (capable ${formatLink(l.maxSpeed, l.maxWidth)})` : ''}${ceiling}`,
      tone: down ? 'warn' : 'plain',
    });
  } else {
    out.push({ text: '  bottleneck: no link state known on this path', tone: 'dim' });
  }

  out.push({ text: `Path (${r.turn.description})`, tone: 'heading' });
  for (const h of r.hops) {
    const acs = acsText(h);
    const link = h.uplink ? `link ${formatLink(h.uplink.link.speed, h.uplink.link.width)}` : '';
    const isNarrow = r.narrowest !== null && h.uplink !== null && h.uplink.lower === r.narrowest.lower && h.uplink.upper === r.narrowest.upper;
    const id = h.bdf ?? h.label;
    const name = h.bdf && h.label !== h.bdf ? ` ${h.label}` : '';
    const parts = [`${ROLE[h.role].padStart(4)} ${id}${name}`, h.kind === 'endpoint' ? '' : h.kind, link + (isNarrow ? ' ◀ narrowest' : ''), acs?.text ?? '', h.iommuGroup !== null ? `iommu ${h.iommuGroup}` : '']
      .filter(Boolean);
    const tone: LineTone = acs?.tone === 'bad' ? 'bad' : isNarrow ? 'warn' : h.role === 'turn' || h.role === 'host-bridge' ? 'heading' : 'plain';
    out.push({ text: '  ' + parts.join('  '), tone });
  }
  if (v.fixes.length) {
    out.push({ text: 'Fix', tone: 'heading' });
    for (const f of v.fixes) {
      out.push({ text: `  • ${f.text}`, tone: 'plain' });
      out.push({ text: `    cost: ${f.tradeoff}`, tone: 'dim' });
    }
  }
  for (const n of v.notes) out.push({ text: `  note: ${n}`, tone: 'dim' });
  for (const w of r.warnings) out.push({ text: `  warning: ${w}`, tone: 'warn' });
  return out;
}
