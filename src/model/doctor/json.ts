// The stable JSON shape of `p2p doctor --json` (docs/doctor.md); bump DOCTOR_SCHEMA_VERSION on breaking change.
import type { Fabric } from '../types.js';
import type { DoctorReport, Finding } from './types.js';

export const DOCTOR_SCHEMA_VERSION = 1;

export interface DoctorJson {
  schemaVersion: number;
  source: { method: string; location: string };
  host: {
    kernelRelease: string | null;
    cpuVendor: string | null;
    cpuFamily: number | null;
    iommuEnabled: boolean | null;
    numaNodes: number[] | null;
    isRoot: boolean | null;
  };
  summary: DoctorReport['summary'];
  exitCode: number;
  findings: Finding[];
}

export function reportToJson(fabric: Fabric, report: DoctorReport): DoctorJson {
  const h = fabric.host;
  return {
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    source: { method: fabric.source.method, location: fabric.source.location },
    host: {
      kernelRelease: h.kernelRelease, cpuVendor: h.cpuVendor, cpuFamily: h.cpuFamily,
      iommuEnabled: h.iommuEnabled, numaNodes: h.numaNodes, isRoot: h.isRoot,
    },
    summary: report.summary,
    exitCode: report.exitCode,
    findings: report.findings.map((f) => ({ ...f, evidence: [...f.evidence], devices: [...f.devices], ...(f.fix ? { fix: [...f.fix] } : {}) })),
  };
}
