// NCCL's environment as its rules read it: levels parsed the way ncclGetLevel does, integers the way
// NCCL_PARAM does (strtoll), and a note for every value NCCL would ignore.
import { LEVEL_NAMES, NCCL_ENV_VARS, OLD_LEVELS, type NcclPathType } from './rules.js';

export interface NcclEnv {
  /** User P2P level (NCCL_P2P_DISABLE=1 wins as LOC), or null when unset. */
  p2pLevel: { type: NcclPathType; from: string } | null;
  gdrLevel: { type: NcclPathType; from: string } | null;
  gdrRead: number;
  gdrC2c: number;
  pxnC2c: number;
  ignoreDisabledP2p: number;
  shmDisable: number;
  pxnDisable: number;
  nvbDisable: number;
  topoFile: string | null;
  /** Every NCCL_* variable seen, where it came from. */
  seen: { name: string; value: string; origin: 'environment' | '--env' }[];
  warnings: string[];
}

function parseLevel(name: string, value: string, warnings: string[]): NcclPathType | null {
  const named = LEVEL_NAMES.find((t) => t === value);
  if (named) return named;
  if (/^[0-9]/.test(value)) {
    const n = Math.min(parseInt(value, 10), OLD_LEVELS.length - 1);
    return OLD_LEVELS[n];
  }
  warnings.push(`${name}=${value}: not a level NCCL knows (${LEVEL_NAMES.join(', ')} or 0-5); NCCL ignores it`);
  return null;
}

function parseInteger(name: string, value: string | undefined, dflt: number, warnings: string[]): number {
  if (value === undefined || value === '') return dflt;
  const n = /^0x/i.test(value) ? Number.parseInt(value.slice(2), 16) : Number.parseInt(value, 10);
  if (Number.isNaN(n)) {
    warnings.push(`${name}=${value}: not a number; NCCL keeps ${dflt}`);
    return dflt;
  }
  return n;
}

/** The NCCL environment from the process's variables overlaid with --env NAME=VALUE pairs. */
export function parseNcclEnv(processEnv: Record<string, string | undefined>, overrides: Record<string, string>): NcclEnv {
  const warnings: string[] = [];
  const seen: NcclEnv['seen'] = [];
  const vars = new Map<string, string>();
  for (const [k, v] of Object.entries(processEnv)) if (k.startsWith('NCCL_') && v !== undefined) { vars.set(k, v); seen.push({ name: k, value: v, origin: 'environment' }); }
  for (const [k, v] of Object.entries(overrides)) {
    vars.set(k, v);
    const i = seen.findIndex((s) => s.name === k);
    if (i >= 0) seen.splice(i, 1);
    seen.push({ name: k, value: v, origin: '--env' });
    if (!NCCL_ENV_VARS.some((e) => e.name === k)) warnings.push(`${k}: not a variable p2p nccl models (it still goes to NCCL)`);
  }
  const get = (k: string) => vars.get(k);

  let p2pLevel: NcclEnv['p2pLevel'] = null;
  if (parseInteger('NCCL_P2P_DISABLE', get('NCCL_P2P_DISABLE'), 0, warnings) === 1) p2pLevel = { type: 'LOC', from: 'NCCL_P2P_DISABLE=1' };
  else if (get('NCCL_P2P_LEVEL') !== undefined) {
    const t = parseLevel('NCCL_P2P_LEVEL', get('NCCL_P2P_LEVEL')!, warnings);
    if (t) p2pLevel = { type: t, from: `NCCL_P2P_LEVEL=${get('NCCL_P2P_LEVEL')}` };
  }
  let gdrLevel: NcclEnv['gdrLevel'] = null;
  if (get('NCCL_NET_GDR_LEVEL') !== undefined) {
    const t = parseLevel('NCCL_NET_GDR_LEVEL', get('NCCL_NET_GDR_LEVEL')!, warnings);
    if (t) gdrLevel = { type: t, from: `NCCL_NET_GDR_LEVEL=${get('NCCL_NET_GDR_LEVEL')}` };
  }
  return {
    p2pLevel,
    gdrLevel,
    gdrRead: parseInteger('NCCL_NET_GDR_READ', get('NCCL_NET_GDR_READ'), -2, warnings),
    gdrC2c: parseInteger('NCCL_NET_GDR_C2C', get('NCCL_NET_GDR_C2C'), 1, warnings),
    pxnC2c: parseInteger('NCCL_PXN_C2C', get('NCCL_PXN_C2C'), 1, warnings),
    ignoreDisabledP2p: parseInteger('NCCL_IGNORE_DISABLED_P2P', get('NCCL_IGNORE_DISABLED_P2P'), 0, warnings),
    shmDisable: parseInteger('NCCL_SHM_DISABLE', get('NCCL_SHM_DISABLE'), 0, warnings),
    pxnDisable: parseInteger('NCCL_PXN_DISABLE', get('NCCL_PXN_DISABLE'), 0, warnings),
    nvbDisable: parseInteger('NCCL_NVB_DISABLE', get('NCCL_NVB_DISABLE'), 0, warnings),
    topoFile: get('NCCL_TOPO_FILE') || null,
    seen,
    warnings,
  };
}
