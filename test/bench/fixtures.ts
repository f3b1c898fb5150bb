// Synthetic native results for the bench logic tests.
import type { NativeBenchResult } from '../../src/native/addon.js';

export function fakeResult(over: Partial<NativeBenchResult> = {}): NativeBenchResult {
  return {
    engine: 'io_uring', registeredBuffers: true, threads: 1, bytes: 2e9, ios: 2000, elapsedSec: 1,
    latencyNs: { min: 1000, mean: 5000, p50: 4000, p99: 20000, p999: 40000, max: 90000 },
    cpu: { userSec: 0.1, sysSec: 0.3 }, threadCpu: { userSec: 0.05, sysSec: 0.2 }, copySec: 0,
    verify: { checked: true, ok: true, slotsCompared: 32, bytesCompared: 32 << 20 }, cancelled: false, ...over,
  };
}
