// HMM migration bench (hmm_bench.h) as named steps: open the driver, map the region, then per rep
// fill a pattern, migrate to the device, count the pages there, read the device's view and check it,
// come back (migrate or fault), count what is left, check on the CPU.
#include "hmm_bench.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util.h"

namespace p2p {

namespace {

// The test driver's ioctl interface, written from the kernel's lib/test_hmm_uapi.h (Linux 6.12),
// which is not installed with the uapi headers: one command struct, 'H' ioctls 0x00-0x04.
struct DmirrorCmd {
  uint64_t addr;    // in: start of the range in this process
  uint64_t ptr;     // in: the buffer the driver copies into (READ, MIGRATE_TO_DEV) or writes flags to (SNAPSHOT)
  uint64_t npages;  // in
  uint64_t cpages;  // out: pages copied / migrated / reported
  uint64_t faults;  // out: device page-table faults
};
constexpr unsigned long kDmirrorRead = _IOWR('H', 0x00, DmirrorCmd);
constexpr unsigned long kDmirrorMigrateToDev = _IOWR('H', 0x02, DmirrorCmd);
constexpr unsigned long kDmirrorMigrateToSys = _IOWR('H', 0x03, DmirrorCmd);
constexpr unsigned long kDmirrorSnapshot = _IOWR('H', 0x04, DmirrorCmd);
// SNAPSHOT's per-page byte: 0x20 device-private on this device, 0x30 on the other one (plus R/W bits).
constexpr uint8_t kProtDevMask = 0x30, kProtDevLocal = 0x20;

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
double Since(uint64_t t0) { return static_cast<double>(NowNs() - t0) / 1e9; }

/** The pattern's word i for one rep: stateless (splitmix64), so a check needs no copy of it. */
inline uint64_t PatternWord(uint64_t seed, uint64_t i) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + (i + 1) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void FillPattern(uint8_t* p, uint64_t bytes, uint64_t seed) {
  for (uint64_t i = 0; i < bytes / 8; i++) {
    uint64_t v = PatternWord(seed, i);
    std::memcpy(p + i * 8, &v, 8);
  }
}

HmmCheck CheckPattern(const uint8_t* p, uint64_t bytes, uint64_t seed) {
  HmmCheck c;
  c.checked = true;
  c.ok = true;
  for (uint64_t i = 0; i < bytes / 8; i++) {
    uint64_t want = PatternWord(seed, i), got;
    std::memcpy(&got, p + i * 8, 8);
    if (want == got) continue;
    for (unsigned b = 0; b < 8; b++) {
      const uint8_t w = static_cast<uint8_t>(want >> (8 * b)), g = p[i * 8 + b];
      if (w != g) {
        c.ok = false;
        c.firstBadOffset = static_cast<int64_t>(i * 8 + b);
        c.expected = w;
        c.actual = g;
        return c;
      }
    }
  }
  return c;
}

/** Private anonymous memory, unmapped once. */
class AnonRegion {
 public:
  AnonRegion() = default;
  AnonRegion(const AnonRegion&) = delete;
  AnonRegion& operator=(const AnonRegion&) = delete;
  ~AnonRegion() {
    if (p_) munmap(p_, len_);
  }
  bool Map(size_t len, int* err) {
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { *err = errno; return false; }
    p_ = static_cast<uint8_t*>(p);
    len_ = len;
    return true;
  }
  uint8_t* data() const { return p_; }

 private:
  uint8_t* p_ = nullptr;
  size_t len_ = 0;
};

/** What one run holds: the driver, the region that migrates, the device-view and snapshot buffers. */
struct HmmRun {
  const HmmBenchOptions* o = nullptr;
  Fd dev;
  AnonRegion region, view;
  std::vector<uint8_t> flags;
  uint64_t pageSize = 0, npages = 0;
  HmmBenchResult* out = nullptr;

  /** One driver ioctl on the whole region; on failure the run's error names the step and the errno. */
  bool Ioctl(unsigned long req, const char* name, const char* step, void* ptr, DmirrorCmd* cmd) {
    *cmd = DmirrorCmd{reinterpret_cast<uint64_t>(region.data()), reinterpret_cast<uint64_t>(ptr), npages, 0, 0};
    int r;
    do r = ioctl(dev.get(), req, cmd); while (r < 0 && errno == EINTR);
    if (r == 0) return true;
    const int e = errno;
    out->error = ErrnoMessage(e, (std::string("ioctl(") + name + ")").c_str(), o->device);
    out->errorCode = ErrnoName(e);
    out->failedStep = step;
    return false;
  }
  /** SNAPSHOT: how many pages of the region are device-private on this device now (nothing faults). */
  bool CountOnDevice(const char* step, uint64_t* pages) {
    DmirrorCmd cmd;
    std::memset(flags.data(), 0xFF, flags.size());
    if (!Ioctl(kDmirrorSnapshot, "HMM_DMIRROR_SNAPSHOT", step, flags.data(), &cmd)) return false;
    uint64_t n = 0;
    for (uint8_t f : flags) n += (f & kProtDevMask) == kProtDevLocal;
    *pages = n;
    return true;
  }
};

bool CheckOptions(const HmmBenchOptions& o, uint64_t pageSize, SetupError* se) {
  if (o.device.empty()) { se->message = "no HMM test device given"; return false; }
  if (o.bytes == 0 || o.bytes % pageSize != 0) {
    se->message = "size must be a positive multiple of the page size (" + std::to_string(pageSize) + " bytes)";
    return false;
  }
  if (o.reps == 0) { se->message = "reps must be >= 1"; return false; }
  return true;
}

bool OpenDriver(HmmRun* run, SetupError* se) {
  int fd = open(run->o->device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    se->err = errno;
    se->message = ErrnoMessage(se->err, "open", run->o->device);
    return false;
  }
  run->dev.reset(fd);
  return true;
}

/** The region to migrate (4 KiB pages: this kernel's device migration splits huge pages) and the view. */
bool MapBuffers(HmmRun* run, SetupError* se) {
  int e = 0;
  if (!run->region.Map(run->o->bytes, &e) || !run->view.Map(run->o->bytes, &e)) {
    se->err = e;
    se->message = ErrnoMessage(e, "mmap", std::to_string(run->o->bytes) + " bytes");
    return false;
  }
  madvise(run->region.data(), run->o->bytes, MADV_NOHUGEPAGE);  // advice only: a refusal changes no result
  run->flags.assign(run->npages, 0);
  return true;
}

/** Every page of the region migrated to the driver's device-private memory; how many got there. */
bool MigrateToDevice(HmmRun& run, HmmRep* rep) {
  DmirrorCmd cmd;
  const uint64_t t0 = NowNs();
  if (!run.Ioctl(kDmirrorMigrateToDev, "HMM_DMIRROR_MIGRATE_TO_DEV", "to-device", run.view.data(), &cmd)) return false;
  rep->toDeviceSec = Since(t0);
  rep->toDevicePages = cmd.cpages;
  return run.CountOnDevice("to-device", &rep->onDevicePages);
}

/** The device's view of the region (HMM_DMIRROR_READ, no migration), checked against the pattern. */
bool ReadDeviceView(HmmRun& run, uint64_t seed, HmmRep* rep) {
  DmirrorCmd cmd;
  std::memset(run.view.data(), 0, run.o->bytes);  // MIGRATE_TO_DEV filled it: start from nothing
  const uint64_t t0 = NowNs();
  if (!run.Ioctl(kDmirrorRead, "HMM_DMIRROR_READ", "device-read", run.view.data(), &cmd)) return false;
  rep->deviceReadSec = Since(t0);
  rep->deviceReadFaults = cmd.faults;
  rep->deviceView = CheckPattern(run.view.data(), run.o->bytes, seed);
  return true;
}

/** Back to system memory: the driver's MIGRATE_TO_SYS, or one CPU read per page (each faults it back). */
bool MigrateToSystem(HmmRun& run, HmmRep* rep) {
  const uint64_t t0 = NowNs();
  if (run.o->faultBack) {
    const volatile uint8_t* p = run.region.data();
    uint8_t sink = 0;
    for (uint64_t i = 0; i < run.npages; i++) sink ^= p[i * run.pageSize];
    (void)sink;
    rep->toSystemSec = Since(t0);
    rep->toSystemPages = run.npages;
  } else {
    DmirrorCmd cmd;
    if (!run.Ioctl(kDmirrorMigrateToSys, "HMM_DMIRROR_MIGRATE_TO_SYS", "to-system", run.view.data(), &cmd)) return false;
    rep->toSystemSec = Since(t0);
    rep->toSystemPages = cmd.cpages;
  }
  return run.CountOnDevice("to-system", &rep->leftOnDevicePages);
}

/** One rep; false when a step failed or a check did not match (the run stops there). */
bool RunRep(HmmRun& run, uint32_t i, HmmRep* rep) {
  const uint64_t seed = run.o->seed + i;
  FillPattern(run.region.data(), run.o->bytes, seed);
  if (!MigrateToDevice(run, rep) || !ReadDeviceView(run, seed, rep) || !MigrateToSystem(run, rep)) return false;
  rep->cpuView = CheckPattern(run.region.data(), run.o->bytes, seed);
  return rep->deviceView.ok && rep->cpuView.ok;
}

}  // namespace

bool RunHmmBench(const HmmBenchOptions& o, const std::atomic<bool>& cancel, HmmBenchResult* out, SetupError* se) {
  const long ps = sysconf(_SC_PAGESIZE);
  const uint64_t pageSize = ps > 0 ? static_cast<uint64_t>(ps) : 4096;
  if (!CheckOptions(o, pageSize, se)) return false;
  HmmRun run;
  run.o = &o;
  run.out = out;
  run.pageSize = pageSize;
  run.npages = o.bytes / pageSize;
  out->pageSize = pageSize;
  if (!OpenDriver(&run, se) || !MapBuffers(&run, se)) return false;
  for (uint32_t i = 0; i < o.reps; i++) {
    if (cancel.load(std::memory_order_relaxed)) { out->cancelled = true; break; }
    out->reps.emplace_back();
    if (RunRep(run, i, &out->reps.back())) continue;
    if (!out->error.empty()) out->reps.pop_back();  // a step failed: that rep has no figures, the error says why
    break;
  }
  return true;
}

}  // namespace p2p
