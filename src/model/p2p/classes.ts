// Pairs by equivalence (issue 16): endpoints that the kernel's P2PDMA walk and the legend cannot tell
// apart, except by their own BDF, form one class; a pair of classes is computed once through the
// per-pair rules and every other pair of those classes re-labelled from it (its BDFs swapped in).
// Two kinds of class: below the same bridge (for pairs whose walks meet), and below the same root of
// the walk at the same depth (for pairs whose walks never meet: nothing between counts then).
// Whether the two are one function or functions of one device is part of the pair's key.
import type { Device, Fabric } from '../types.js';
import { numaOf } from './legend.js';
import { acsRedirectState, hostBridgeDevice, hostBridgeOf, upstreamBridge, upstreamChain } from './walk.js';

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

/**
 * What the rules read of an endpoint for a pair whose two walks never meet (different tops): the
 * top of its walk (named in "they meet only at host bridge ... (under A and B)"), the walk's length
 * (the hops), host bridge, NUMA node and p2pmem. No ACS is read then. Null as for classKey.
 */
export function farClassKey(fabric: Fabric, d: Device): string | null {
  if (namedByHostBridge(fabric, d)) return null;
  const chain = upstreamChain(fabric, d);
  const p2pmem = d.p2pmem === null || d.p2pmem === undefined ? 'none' : 'some';
  return [chain[chain.length - 1].bdf, chain.length, hostBridgeOf(fabric, d), numaOf(fabric, d) ?? '?', p2pmem].join('|');
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
  /** Class index of each endpoint (by its index in the list given), for pairs whose walks meet. */
  classOf: Int32Array;
  count: number;
  /** Class index for pairs whose walks never meet, and the number of those classes. */
  farOf: Int32Array;
  farCount: number;
  /** The top of each endpoint's walk, as a number: two endpoints' walks meet only when theirs are equal. */
  topOf: Int32Array;
}

export type ClassKeyFn = (fabric: Fabric, d: Device, parents: ReadonlySet<Device>) => string | null;

/** Class indices of `devs` by a key; a null key is a class of its own. */
function group(devs: readonly Device[], keyOf: (d: Device) => string | null): { of: Int32Array; count: number } {
  const ids = new Map<string, number>();
  const of = new Int32Array(devs.length);
  let count = 0;
  devs.forEach((d, i) => {
    const key = keyOf(d);
    if (key === null) {
      of[i] = count++;
      return;
    }
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = count++));
    of[i] = id;
  });
  return { of, count };
}

/** Groups `devs` by classKey and farClassKey (a test may hand in other key functions to show a wrong one is caught). */
export function endpointClasses(fabric: Fabric, devs: readonly Device[], keyOf: ClassKeyFn = classKey, farKeyOf: typeof farClassKey = farClassKey): EndpointClasses {
  const parents = bridgesAbove(fabric);
  const near = group(devs, (d) => keyOf(fabric, d, parents));
  const far = group(devs, (d) => farKeyOf(fabric, d));
  const tops = group(devs, (d) => { const c = upstreamChain(fabric, d); return c[c.length - 1].bdf; });
  return { classOf: near.of, count: near.count, farOf: far.of, farCount: far.count, topOf: tops.of };
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
 * relation (pairRelation), reused for the other pairs alike; pairs whose walks meet are keyed by
 * their near classes, the others by their far classes. A template is kept only while a client of its
 * class is still to come, so memory follows the classes, not the pairs.
 */
export function* matrixCells<T>(
  fabric: Fabric, devs: readonly Device[], pairOf: (client: Device, provider: Device) => T, classes: EndpointClasses = endpointClasses(fabric, devs),
): Generator<PairCell<T>> {
  const { classOf, farOf, topOf } = classes;
  const lastNear = lastIndexOf(classOf, classes.count);
  const lastFar = lastIndexOf(farOf, classes.farCount);
  const nearRows: (Map<number, CellTemplate<T>> | undefined)[] = new Array(classes.count);
  const farRows: (Map<number, CellTemplate<T>> | undefined)[] = new Array(classes.farCount);
  for (let i = 0; i < devs.length; i++) {
    const client = devs[i];
    const ci = classOf[i];
    const fi = farOf[i];
    const nearRow = (nearRows[ci] ??= new Map());
    const farRow = (farRows[fi] ??= new Map());
    for (let j = 0; j < devs.length; j++) {
      const provider = devs[j];
      const meet = topOf[i] === topOf[j];
      const row = meet ? nearRow : farRow;
      const key = (meet ? classOf[j] : farOf[j]) * 3 + pairRelation(client, provider);
      let t = row.get(key);
      if (!t) row.set(key, (t = { pair: pairOf(client, provider), client: client.bdf, provider: provider.bdf }));
      yield { template: t, client: client.bdf, provider: provider.bdf };
    }
    if (lastNear[ci] === i) nearRows[ci] = undefined;
    if (lastFar[fi] === i) farRows[fi] = undefined;
  }
}

function lastIndexOf(of: Int32Array, count: number): Int32Array {
  const last = new Int32Array(count);
  of.forEach((c, i) => { last[c] = i; });
  return last;
}

/**
 * The pair function `pairOf` answered by class: the first pair of each class pair (and relation) is
 * computed, later ones re-labelled from it. For callers that pick their own pairs (doctor's unordered
 * candidates); a device not in `devs` is computed as it is.
 */
export function pairsByClass<T>(
  fabric: Fabric, devs: readonly Device[], pairOf: (client: Device, provider: Device) => T, classes: EndpointClasses = endpointClasses(fabric, devs),
): (client: Device, provider: Device) => T {
  const index = new Map(devs.map((d, i) => [d, i]));
  const templates = new Map<number, CellTemplate<T>>();
  return (client, provider) => {
    const i = index.get(client);
    const j = index.get(provider);
    if (i === undefined || j === undefined) return pairOf(client, provider);
    const rel = pairRelation(client, provider);
    const key = classes.topOf[i] === classes.topOf[j]
      ? ((classes.classOf[i] * classes.count + classes.classOf[j]) * 3 + rel) * 2
      : ((classes.farOf[i] * classes.farCount + classes.farOf[j]) * 3 + rel) * 2 + 1;
    const t = templates.get(key);
    if (!t) {
      const pair = pairOf(client, provider);
      templates.set(key, { pair, client: client.bdf, provider: provider.bdf });
      return pair;
    }
    return bindCell({ template: t, client: client.bdf, provider: provider.bdf });
  };
}
