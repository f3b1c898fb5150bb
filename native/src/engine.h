// The bench engine, free of N-API: moves blocks between a source (file / block device) and a
// destination memory (host, p2pmem, device-DAX or udmabuf mapping, GPU via cuFile) with io_uring, a pread/pwrite thread
// pool or cuFile; measures throughput, latency and CPU; verifies the bytes that landed.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace p2p {

struct EngineOptions {
  enum class Engine { Auto, IoUring, Psync };
  enum class Dest { Host, P2pmem, CuFile, Dax, Udmabuf };
  std::string path;
  bool write = false;
  bool direct = true;
  Engine engine = Engine::Auto;
  Dest dest = Dest::Host;
  std::string allocatePath;     // p2pmem: the allocate file; dax: /dev/daxX.Y; udmabuf: "" (/dev/udmabuf)
  int gpuOrdinal = 0;           // cufile
  std::string cufileLib = "libcufile.so.0";
  std::string cudaLib = "libcuda.so.1";
  bool bounce = false;
  uint32_t blockSize = 1 << 20;
  uint32_t queueDepth = 32;
  uint32_t workers = 1;
  uint64_t rangeOffset = 0;
  uint64_t rangeLength = 0;
  uint64_t totalBytes = 0;
  uint64_t durationMs = 0;
  bool random = false;
  bool registerBuffers = true;
  int64_t verifySlots = -1;     // -1 all, 0 none, N sample
  uint32_t progressIntervalMs = 250;
  uint64_t seed = 1;
  int64_t testCorruptByte = -1;
};

/** Log-linear latency histogram in nanoseconds: exact below 64 ns, then 32 sub-buckets per power of two. */
class Histogram {
 public:
  static constexpr unsigned kBuckets = 64 + 58 * 32;
  void Add(uint64_t ns);
  void Merge(const Histogram& o);
  /** Value at quantile q in [0,1] (bucket midpoint clamped to [min,max]); 0 when empty. */
  uint64_t Quantile(double q) const;
  uint64_t count() const { return n_; }
  uint64_t min() const { return n_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return n_ ? static_cast<double>(sum_) / static_cast<double>(n_) : 0.0; }
  static unsigned Index(uint64_t v);
  static uint64_t BucketLow(unsigned idx);
  static uint64_t BucketHigh(unsigned idx);  // exclusive

 private:
  uint64_t counts_[kBuckets] = {};
  uint64_t n_ = 0, min_ = UINT64_MAX, max_ = 0;
  unsigned __int128 sum_ = 0;
};

struct EngineResult {
  std::string engine;        // io_uring | psync | cufile
  std::string engineNote;
  /** Bounce into GPU memory: "pinned" (cuMemHostRegister worked) or "pageable"; empty otherwise. */
  std::string staging;
  bool registeredBuffers = false;
  std::string registerNote;
  uint32_t threads = 0;
  uint64_t bytes = 0;
  uint64_t ios = 0;
  double elapsedSec = 0;
  Histogram latency;
  double userSec = 0, sysSec = 0;              // process (RUSAGE_SELF delta)
  double threadUserSec = 0, threadSysSec = 0;  // I/O threads (RUSAGE_THREAD)
  double copySec = 0;
  std::string error, errorCode;
  bool cancelled = false;
  // verification
  bool verifyChecked = false, verifyOk = true;
  uint64_t slotsCompared = 0, bytesCompared = 0;
  int64_t firstBadOffset = -1;
  int expected = -1, actual = -1;
  std::string verifyError;
};

/** Setup failure: the run did not start (or could not be prepared). */
struct SetupError {
  int err = 0;  // errno, 0 when not an OS error
  std::string message;
};

using ProgressFn = std::function<void(uint64_t bytes, uint64_t ios, double elapsedSec)>;

/** Runs one bench on the calling thread (it spawns and joins the I/O threads). Returns false on setup failure. */
bool RunEngine(const EngineOptions& o, const std::atomic<bool>& cancel, const ProgressFn& progress,
               EngineResult* out, SetupError* err);

}  // namespace p2p
