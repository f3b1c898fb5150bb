// HMM migration bench through the kernel's HMM test driver (lib/test_hmm.c, CONFIG_TEST_HMM,
// /dev/hmm_dmirrorN): anonymous memory migrated into the driver's device-private memory and back,
// each direction timed, the bytes checked in the device's view and again on the CPU. Free of N-API.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "engine.h"  // SetupError

namespace p2p {

struct HmmBenchOptions {
  std::string device;      // /dev/hmm_dmirror0
  uint64_t bytes = 0;      // per migration, a multiple of the page size
  uint32_t reps = 1;
  bool faultBack = false;  // back to system memory by CPU faults instead of HMM_DMIRROR_MIGRATE_TO_SYS
  uint64_t seed = 1;
};

/** A byte comparison against the pattern written before the migration. */
struct HmmCheck {
  bool checked = false, ok = false;
  int64_t firstBadOffset = -1;
  int expected = -1, actual = -1;
};

struct HmmRep {
  double toDeviceSec = 0, deviceReadSec = 0, toSystemSec = 0;
  uint64_t toDevicePages = 0;      // the driver's cpages for MIGRATE_TO_DEV (pages it read back)
  uint64_t onDevicePages = 0;      // SNAPSHOT: pages device-private on this device after it
  uint64_t deviceReadFaults = 0;   // HMM_DMIRROR_READ's device page-table faults
  uint64_t toSystemPages = 0;      // MIGRATE_TO_SYS's cpages, or the pages touched when faulting back
  uint64_t leftOnDevicePages = 0;  // SNAPSHOT after the way back
  HmmCheck deviceView, cpuView;
};

struct HmmBenchResult {
  uint64_t pageSize = 0;
  std::vector<HmmRep> reps;
  std::string error, errorCode, failedStep;
  bool cancelled = false;
};

/** Runs the reps on the calling thread; false on setup failure (options, open, mmap). */
bool RunHmmBench(const HmmBenchOptions& o, const std::atomic<bool>& cancel, HmmBenchResult* out, SetupError* se);

}  // namespace p2p
