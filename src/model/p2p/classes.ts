// Pairs by equivalence (issue 16): endpoints that the kernel's P2PDMA walk and the legend cannot tell
// apart, except by their own BDF, form one class; a pair of classes is computed once through the
// per-pair rules and every other pair of those classes re-labelled from it (its BDFs swapped in).
// Pairs whose answer depends on the two functions themselves (one function, one device) stay per pair.
import type { Device, Fabric } from '../types.js';
import { numaOf } from './legend.js';
import { acsRedirectState, hostBridgeDevice, hostBridgeOf, upstreamBridge } from './walk.js';

/**
 * What the rules read of an endpoint itself, with its own BDF taken out: the bridge the kernel walks
 * up to (pci_upstream_bridge, a VF's is its PF's), the host bridge it hangs from, its NUMA node (the
 * legend across host bridges), its own ACS control (the walk reads the endpoint's register too) and
 * whether it publishes p2pmem (a note on the provider). Null: the endpoint must be a class of its own,
 * because its BDF also appears in other pairs' answers (it is a bridge above another function, or the
 * function the host-bridge allow-list check looks at).
 */
export function classKey(fabric: Fabric, d: Device, parents: ReadonlySet<Device>): string | null {
  if (parents.has(d) || namedByHostBridge(fabric, d)) return null;
  const up = upstreamBridge(fabric, d);
  const acs = JSON.stringify(acsRedirectState(d)).split(d.bdf).join('@');
  const p2pmem = d.p2pmem === null || d.p2pmem === undefined ? 'none' : 'some';
  return [up ? up.bdf : '-', hostBridgeOf(fabric, d), numaOf(fabric, d) ?? '?', acs, p2pmem].join('|');
}

/** Whether the host-bridge check (either release's way of picking the function) names `d`. */
function namedByHostBridge(fabric: Fabric, d: Device): boolean {
  const hb = hostBridgeOf(fabric, d);
  return (['devfn-00.0', 'devfn-00.0-or-root-port'] as const).some((mode) => {
    const r = hostBridgeDevice(fabric, hb, mode);
    return r.device === d || mentions(r.note, d.bdf);
  });
}

/** Every function some other function's walk goes through. */
function bridgesAbove(fabric: Fabric): Set<Device> {
  const out = new Set<Device>();
  for (const d of fabric.devices) {
    const up = upstreamBridge(fabric, d);
    if (up) out.add(up);
  }
  return out;
}

export interface EndpointClasses {
  /** Class index of each endpoint, by its index in the list given. */
  classOf: Int32Array;
  /** The number of classes. */
  count: number;
}

export type ClassKeyFn = (fabric: Fabric, d: Device, parents: ReadonlySet<Device>) => string | null;

/** Groups `devs` by classKey (a test may hand in another key function to show a wrong one is caught). */
export function endpointClasses(fabric: Fabric, devs: readonly Device[], keyOf: ClassKeyFn = classKey): EndpointClasses {
  const parents = bridgesAbove(fabric);
  const ids = new Map<string, number>();
  const classOf = new Int32Array(devs.length);
  let count = 0;
  devs.forEach((d, i) => {
    const key = keyOf(fabric, d, parents);
    if (key === null) {
      classOf[i] = count++;
      return;
    }
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = count++));
    classOf[i] = id;
  });
  return { classOf, count };
}

/**
 * How a pair relates beyond its classes: the rules ask whether client and provider are one function
 * (distance 0, the self sentence) or functions of one device (the one-hop-up-and-down note); nothing else
 * of the pair itself. 0: neither, 1: one device, 2: one function.
 */
export function pairRelation(a: Device, b: Device): 0 | 1 | 2 {
  if (a === b) return 2;
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot ? 1 : 0;
}

/** One class pair's answer: the cell of the pair it was computed for, and that pair's BDFs. */
export interface CellTemplate<T = unknown> {
  pair: T;
  client: string;
  provider: string;
}

/** One ordered pair: the template it is re-labelled from (its own cell when client === template.client and so on). */
export interface PairCell<T = unknown> {
  template: CellTemplate<T>;
  client: string;
  provider: string;
}

/** Whether `text` names `bdf` as a whole BDF (not inside a longer domain, as 0000:... inside 10000:...). */
export function mentions(text: string, bdf: string): boolean {
  let at = text.indexOf(bdf);
  while (at >= 0) {
    if (isWhole(text, at, bdf.length)) return true;
    at = text.indexOf(bdf, at + 1);
  }
  return false;
}

const HEXISH = /[0-9a-fA-F:]/;
const isWhole = (text: string, at: number, len: number): boolean =>
  (at === 0 || !HEXISH.test(text[at - 1])) && (at + len >= text.length || !/[0-9]/.test(text[at + len]));

/**
 * `text` cut where it names the template's client or provider: literal pieces and slots between them
 * (0: the client's BDF, 1: the provider's). The pieces joined with the template's own BDFs give `text` back.
 */
export function splitOnBdfs(text: string, client: string, provider: string): { pieces: string[]; slots: number[] } {
  const pieces: string[] = [];
  const slots: number[] = [];
  let from = 0;
  let c = nextWhole(text, client, 0);
  let p = provider === client ? -1 : nextWhole(text, provider, 0);
  while (c >= 0 || p >= 0) {
    const isClient = c >= 0 && (p < 0 || c <= p);
    const at = isClient ? c : p;
    pieces.push(text.slice(from, at));
    slots.push(isClient ? 0 : 1);
    from = at + (isClient ? client.length : provider.length);
    if (isClient) c = nextWhole(text, client, from);
    else p = nextWhole(text, provider, from);
    // An occurrence of the other BDF found inside the one just cut is not a whole one: seek past it.
    if (c >= 0 && c < from) c = nextWhole(text, client, from);
    if (p >= 0 && p < from) p = nextWhole(text, provider, from);
  }
  pieces.push(text.slice(from));
  return { pieces, slots };
}

function nextWhole(text: string, bdf: string, from: number): number {
  let at = text.indexOf(bdf, from);
  while (at >= 0 && !isWhole(text, at, bdf.length)) at = text.indexOf(bdf, at + 1);
  return at;
}

type Builder = (client: string, provider: string) => unknown;

/** A function that rebuilds `value` with other BDFs; parts that name neither are shared, not copied. */
function compile(value: unknown, client: string, provider: string): Builder | null {
  if (typeof value === 'string') {
    if (!mentions(value, client) && !mentions(value, provider)) return null;
    const { pieces, slots } = splitOnBdfs(value, client, provider);
    return (c, p) => {
      let s = pieces[0];
      for (let i = 0; i < slots.length; i++) s += (slots[i] === 0 ? c : p) + pieces[i + 1];
      return s;
    };
  }
  if (Array.isArray(value)) {
    const parts = value.map((v) => compile(v, client, provider));
    if (parts.every((b) => b === null)) return null;
    return (c, p) => value.map((v, i) => { const b = parts[i]; return b ? b(c, p) : v; });
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const parts = entries.map(([, v]) => compile(v, client, provider));
    if (parts.every((b) => b === null)) return null;
    return (c, p) => {
      const o: Record<string, unknown> = {};
      entries.forEach(([k, v], i) => { const b = parts[i]; o[k] = b ? b(c, p) : v; });
      return o;
    };
  }
  return null;
}

const builders = new WeakMap<CellTemplate, Builder | null>();

/** The cell of one pair, re-labelled from its template (the template's own cell for the pair it was computed for). */
export function bindCell<T>(cell: PairCell<T>): T {
  const t = cell.template;
  if (cell.client === t.client && cell.provider === t.provider) return t.pair;
  let b = builders.get(t as CellTemplate);
  if (b === undefined) builders.set(t as CellTemplate, (b = compile(t.pair, t.client, t.provider)));
  return (b ? b(cell.client, cell.provider) : t.pair) as T;
}

/**
 * Every ordered pair of `devs`, client-major, as cells: one computation per ordered class pair and
 * relation (pairRelation), reused for the other pairs alike. A template is kept only while a client
 * of its class is still to come, so memory follows the classes, not the pairs.
 */
export function* matrixCells<T>(
  fabric: Fabric, devs: readonly Device[], pairOf: (client: Device, provider: Device) => T, classes: EndpointClasses = endpointClasses(fabric, devs),
): Generator<PairCell<T>> {
  const cls = classes.classOf;
  const lastClient = new Int32Array(classes.count);
  cls.forEach((c, i) => { lastClient[c] = i; });
  const rows: (Map<number, CellTemplate<T>> | undefined)[] = new Array(classes.count);
  for (let i = 0; i < devs.length; i++) {
    const client = devs[i];
    const ci = cls[i];
    let row = rows[ci];
    if (!row) rows[ci] = row = new Map();
    for (let j = 0; j < devs.length; j++) {
      const provider = devs[j];
      const key = cls[j] * 3 + pairRelation(client, provider);
      let t = row.get(key);
      if (!t) row.set(key, (t = { pair: pairOf(client, provider), client: client.bdf, provider: provider.bdf }));
      yield { template: t, client: client.bdf, provider: provider.bdf };
    }
    if (lastClient[ci] === i) rows[ci] = undefined;
  }
}
