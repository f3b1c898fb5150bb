// Memory-to-memory benches over a GpuRuntime, free of N-API: host <-> GPU copies (pinned and pageable),
// GPU -> GPU with peer access against a copy staged through pinned host memory, every copy verified by
// copying the bytes back; and the probe (devices, PCI bus ids, peer-access matrix).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace p2p {

struct GpuDeviceInfo {
  int ordinal = 0;
  std::string pciBusId, name;  // empty when the runtime refused
  uint64_t totalMem = 0;
  std::string error;
};

struct GpuProbeResult {
  bool available = false;
  std::string stage, reason;
  int driverVersion = 0;
  std::vector<GpuDeviceInfo> devices;
  /** canAccessPeer[i][j]: 1 yes, 0 no, -1 the query failed. */
  std::vector<std::vector<int>> canAccessPeer;
};

void ProbeGpus(const std::string& runtime, const std::string& lib, GpuProbeResult* out);

struct GpuBenchOptions {
  std::string runtime = "cuda";
  std::string lib = "libcuda.so.1";
  int a = -1;  // -1: host memory
  int b = 0;
  size_t bytes = 64u << 20;
  uint64_t totalBytes = 0;  // per case; 0 = use durationMs
  uint64_t durationMs = 1000;
  /** htod-pinned, dtoh-pinned, htod-pageable, dtoh-pageable, peer-ab, peer-ba, staged-ab, staged-ba. */
  std::vector<std::string> cases;
};

struct GpuCaseResult {
  std::string name;
  uint64_t bytes = 0, copies = 0;
  double elapsedSec = 0, minCopySec = 0;
  bool verifyChecked = false, verifyOk = false;
  int64_t firstBadOffset = -1;
  int expected = -1, actual = -1;
  std::string error;
};

struct GpuBenchResult {
  std::vector<GpuCaseResult> cases;
  /** GPU -> GPU: what the runtime says about peer access each way, and why enabling it failed. */
  int peerAB = -1, peerBA = -1;
  std::string peerError;
  bool cancelled = false;
};

/** Runs the cases in order. False (with *setupError) when the runtime, devices or buffers cannot be set up. */
bool RunGpuBench(const GpuBenchOptions& o, const std::atomic<bool>& cancel, GpuBenchResult* out, std::string* setupError);

}  // namespace p2p
