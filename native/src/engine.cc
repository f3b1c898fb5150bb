#include "engine.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cufile_loader.h"
#include "peer_memory.h"
#include "uring.h"
#include "util.h"

namespace p2p {

// ------------------------------------------------------------------------------------------------
// Histogram
// ------------------------------------------------------------------------------------------------

unsigned Histogram::Index(uint64_t v) {
  if (v < 64) return static_cast<unsigned>(v);
  unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(v));  // >= 6
  unsigned sub = static_cast<unsigned>((v >> (msb - 5)) & 31u);
  return 64u + (msb - 6u) * 32u + sub;
}
uint64_t Histogram::BucketLow(unsigned idx) {
  if (idx < 64) return idx;
  unsigned msb = (idx - 64u) / 32u + 6u;
  uint64_t sub = (idx - 64u) % 32u;
  return (32u + sub) << (msb - 5u);
}
uint64_t Histogram::BucketHigh(unsigned idx) {
  if (idx < 64) return idx + 1;
  unsigned msb = (idx - 64u) / 32u + 6u;
  uint64_t low = BucketLow(idx);
  uint64_t width = 1ull << (msb - 5u);
  return (UINT64_MAX - low < width) ? UINT64_MAX : low + width;
}
void Histogram::Add(uint64_t ns) {
  counts_[Index(ns)]++;
  n_++;
  sum_ += ns;
  if (ns < min_) min_ = ns;
  if (ns > max_) max_ = ns;
}
void Histogram::Merge(const Histogram& o) {
  for (unsigned i = 0; i < kBuckets; i++) counts_[i] += o.counts_[i];
  n_ += o.n_;
  sum_ += o.sum_;
  if (o.n_) {
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
}
uint64_t Histogram::Quantile(double q) const {
  if (!n_) return 0;
  if (q <= 0) return min_;
  if (q >= 1) return max_;
  // rank of the q-th sample (1-based, nearest-rank)
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(n_));
  if (static_cast<double>(rank) < q * static_cast<double>(n_)) rank++;
  if (rank == 0) rank = 1;
  uint64_t cum = 0;
  for (unsigned i = 0; i < kBuckets; i++) {
    cum += counts_[i];
    if (cum >= rank) {
      uint64_t lo = BucketLow(i), hi = BucketHigh(i);
      uint64_t mid = lo + (hi - lo - 1) / 2;
      return std::min(std::max(mid, min_), max_);
    }
  }
  return max_;
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

namespace {

inline uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO; cannot fail for CLOCK_MONOTONIC
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

/** getrusage for this thread; zeros if the kernel refuses (never expected). */
inline void ThreadUsage(rusage* ru) {
  if (getrusage(RUSAGE_THREAD, ru) != 0) std::memset(ru, 0, sizeof *ru);
}

inline double TvSec(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

inline uint64_t XorShift(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

constexpr uint64_t kNoOffset = UINT64_MAX;

/** Destination memory: `slots` blocks of `bs` bytes. */
class DestMemory {
 public:
  virtual ~DestMemory() = default;
  /** CPU-addressable pointer to a slot, or nullptr (GPU memory). */
  virtual uint8_t* HostPtr(size_t slot) = 0;
  /** host -> destination slot */
  virtual bool CopyIn(size_t slot, const uint8_t* src, size_t n, std::string* err) {
    (void)err;
    std::memcpy(HostPtr(slot), src, n);
    return true;
  }
  /** destination slot -> host */
  virtual bool CopyOut(size_t slot, uint8_t* dst, size_t n, std::string* err) {
    (void)err;
    std::memcpy(dst, HostPtr(slot), n);
    return true;
  }
  /** Called once on every thread that touches this memory (CUDA context). */
  virtual bool BindThread(std::string* err) { (void)err; return true; }
};

class HostDest : public DestMemory {
 public:
  HostDest(size_t bs) : bs_(bs) {}
  bool Init(size_t slots, SetupError* e) {
    int err = 0;
    if (!m_.MapAnon(PageRound(slots * bs_), &err)) {
      e->err = err;
      e->message = ErrnoMessage(err, "mmap", "host buffer of " + std::to_string(slots * bs_) + " bytes");
      return false;
    }
    return true;
  }
  uint8_t* HostPtr(size_t slot) override { return m_.data() + slot * bs_; }

 private:
  size_t bs_;
  Mapping m_;
};

/** p2pmem, device-DAX or udmabuf memory, mapped by PeerMemory (peer_memory.cc). */
class PeerDest : public DestMemory {
 public:
  PeerDest(size_t bs) : bs_(bs) {}
  bool Init(PeerKind kind, const std::string& path, size_t slots, SetupError* e) {
    PeerMemoryError pe;
    // A udmabuf is read into through its memfd's pages: its dma-buf mmap is a PFN map that O_DIRECT
    // refuses (EFAULT, as p2p probe shows), and the bench measures the host-memory control.
    if (!m_.Map(kind, path, slots * bs_, &pe, kind == PeerKind::Udmabuf)) {
      e->err = pe.err;
      e->message = pe.message;
      return false;
    }
    return true;
  }
  uint8_t* HostPtr(size_t slot) override { return m_.data() + slot * bs_; }

 private:
  size_t bs_;
  PeerMemory m_;
};

PeerKind PeerKindOf(EngineOptions::Dest d) {
  switch (d) {
    case EngineOptions::Dest::Dax: return PeerKind::Dax;
    case EngineOptions::Dest::Udmabuf: return PeerKind::Udmabuf;
    default: return PeerKind::P2pmem;
  }
}

std::string CuErr(const char* what, int code) { return std::string(what) + " failed (CUresult " + std::to_string(code) + ")"; }
std::string CuFileErr(const char* what, CUfileError_t e) {
  return std::string(what) + " failed (cuFile error " + std::to_string(e.err) + ", CUresult " + std::to_string(e.cu_err) + ")";
}

class GpuDest : public DestMemory {
 public:
  GpuDest(size_t bs) : bs_(bs) {}
  ~GpuDest() override {
    const CuApi& a = lib_.api();
    if (!a.cuInit) return;  // nothing was loaded
    if (pinned_) a.cuMemHostUnregister(pinned_);
    if (bufRegistered_) a.cuFileBufDeregister(reinterpret_cast<const void*>(static_cast<uintptr_t>(base_)));
    if (handle_) a.cuFileHandleDeregister(handle_);
    if (driverOpen_) a.cuFileDriverClose();
    if (base_) a.cuMemFree(base_);
    if (ctxRetained_) a.cuDevicePrimaryCtxRelease(dev_);
  }
  bool Init(const EngineOptions& o, size_t slots, int fd, bool needCuFile, SetupError* e) {
    CuLoadResult r = lib_.Load(o.cufileLib, o.cudaLib, needCuFile);
    if (!r.stage.empty()) {
      e->message = std::string(needCuFile ? "cuFile" : "CUDA") + " unavailable (" + r.stage + "): " + r.reason;
      return false;
    }
    const CuApi& a = lib_.api();
    int rc;
    if ((rc = a.cuInit(0)) != 0) { e->message = CuErr("cuInit", rc); return false; }
    if ((rc = a.cuDeviceGet(&dev_, o.gpuOrdinal)) != 0) { e->message = CuErr("cuDeviceGet", rc); return false; }
    if ((rc = a.cuDevicePrimaryCtxRetain(&ctx_, dev_)) != 0) { e->message = CuErr("cuDevicePrimaryCtxRetain", rc); return false; }
    ctxRetained_ = true;
    if ((rc = a.cuCtxSetCurrent(ctx_)) != 0) { e->message = CuErr("cuCtxSetCurrent", rc); return false; }
    size_ = slots * bs_;
    if ((rc = a.cuMemAlloc(&base_, size_)) != 0) { e->message = CuErr("cuMemAlloc", rc); base_ = 0; return false; }
    if (!needCuFile) return true;
    CUfileError_t fe = a.cuFileDriverOpen();
    if (fe.err != 0) { e->message = CuFileErr("cuFileDriverOpen", fe); return false; }
    driverOpen_ = true;
    CUfileDescr_t d;
    std::memset(&d, 0, sizeof d);
    d.type = kCuFileHandleTypeOpaqueFd;
    d.handle.fd = fd;
    d.fs_ops = nullptr;
    fe = a.cuFileHandleRegister(&handle_, &d);
    if (fe.err != 0) { handle_ = nullptr; e->message = CuFileErr("cuFileHandleRegister", fe); return false; }
    fe = a.cuFileBufRegister(reinterpret_cast<const void*>(static_cast<uintptr_t>(base_)), size_, 0);
    if (fe.err != 0) { e->message = CuFileErr("cuFileBufRegister", fe); return false; }
    bufRegistered_ = true;
    return true;
  }
  uint8_t* HostPtr(size_t) override { return nullptr; }
  /** Pin the bounce staging buffer (cuMemHostRegister) so copies from it are DMA, not staged by the
   *  driver. Returns "" when pinned, else why not (the bounce path then copies from pageable memory). */
  std::string PinStaging(void* p, size_t n) {
    const CuApi& a = lib_.api();
    if (!a.cuMemHostRegister || !a.cuMemHostUnregister || !a.cuMemcpyHtoDAsync || !a.cuStreamSynchronize)
      return "libcuda lacks cuMemHostRegister/cuMemcpyHtoDAsync";
    int rc = a.cuMemHostRegister(p, n, 0);
    if (rc != 0) return CuErr("cuMemHostRegister", rc);
    pinned_ = p;
    return "";
  }
  bool CopyIn(size_t slot, const uint8_t* src, size_t n, std::string* err) override {
    const CuApi& a = lib_.api();
    if (pinned_) {
      int rc = a.cuMemcpyHtoDAsync(base_ + slot * bs_, src, n, nullptr);
      if (rc == 0) rc = a.cuStreamSynchronize(nullptr);
      if (rc != 0) { *err = CuErr("cuMemcpyHtoDAsync", rc); return false; }
      return true;
    }
    int rc = a.cuMemcpyHtoD(base_ + slot * bs_, src, n);
    if (rc != 0) { *err = CuErr("cuMemcpyHtoD", rc); return false; }
    return true;
  }
  bool CopyOut(size_t slot, uint8_t* dst, size_t n, std::string* err) override {
    int rc = lib_.api().cuMemcpyDtoH(dst, base_ + slot * bs_, n);
    if (rc != 0) { *err = CuErr("cuMemcpyDtoH", rc); return false; }
    return true;
  }
  bool BindThread(std::string* err) override {
    int rc = lib_.api().cuCtxSetCurrent(ctx_);
    if (rc != 0) { *err = CuErr("cuCtxSetCurrent", rc); return false; }
    return true;
  }
  ssize_t Read(size_t slot, size_t n, uint64_t off) {
    return lib_.api().cuFileRead(handle_, reinterpret_cast<void*>(static_cast<uintptr_t>(base_)), n,
                                 static_cast<off_t>(off), static_cast<off_t>(slot * bs_));
  }
  ssize_t Write(size_t slot, size_t n, uint64_t off) {
    return lib_.api().cuFileWrite(handle_, reinterpret_cast<const void*>(static_cast<uintptr_t>(base_)), n,
                                  static_cast<off_t>(off), static_cast<off_t>(slot * bs_));
  }

 private:
  size_t bs_;
  CuLibrary lib_;
  CUdevice dev_ = 0;
  CUcontext ctx_ = nullptr;
  bool ctxRetained_ = false;
  CUdeviceptr base_ = 0;
  size_t size_ = 0;
  bool driverOpen_ = false;
  CUfileHandle_t handle_ = nullptr;
  bool bufRegistered_ = false;
  void* pinned_ = nullptr;
};

/** Block offsets for one stream: sequential over its share of the range (wrapping), or uniform random. */
struct OffsetGen {
  uint64_t first = 0, count = 1, pos = 0, nblocks = 1, rng = 1;
  bool random = false;
  uint64_t Next() {
    if (random) return XorShift(&rng) % nblocks;
    uint64_t b = first + pos;
    if (++pos == count) pos = 0;
    return b;
  }
};

struct alignas(64) StreamState {
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> ios{0};
  Histogram hist;
  double copySec = 0;
  rusage usage{};
  bool registered = false;
  int registerErr = 0;
};

struct Shared {
  const EngineOptions* o = nullptr;
  int fd = -1;
  DestMemory* dest = nullptr;
  GpuDest* gpu = nullptr;        // set for cuFile direct
  HostDest* staging = nullptr;   // bounce mode only
  uint64_t nblocks = 0;
  uint64_t deadlineNs = UINT64_MAX;
  std::atomic<bool> stop{false};
  std::vector<uint64_t> lastOffset;  // per slot; each slot is owned by one thread
  std::mutex mu;
  std::condition_variable cv;
  unsigned finished = 0;
  std::string error, errorCode;

  void Fail(int e, const std::string& msg) {
    std::lock_guard<std::mutex> g(mu);
    if (error.empty()) {
      error = msg;
      errorCode = e ? ErrnoName(e) : "EIO";
    }
    stop.store(true, std::memory_order_relaxed);
  }
  void Finished() {
    std::lock_guard<std::mutex> g(mu);
    finished++;
    cv.notify_all();
  }
};

std::string IoWhat(bool write, uint64_t off) {
  return std::string(write ? "write" : "read") + " at offset " + std::to_string(off);
}

/** The buffer an I/O for `slot` uses: staging in bounce mode, the destination otherwise. */
inline uint8_t* IoBuf(Shared& sh, size_t slot) {
  return sh.staging ? sh.staging->HostPtr(slot) : sh.dest->HostPtr(slot);
}

/** Bounce copies around one I/O; returns false (and fails the run) on error. */
bool BeforeIo(Shared& sh, StreamState& st, size_t slot) {
  if (!sh.staging || !sh.o->write) return true;
  uint64_t t0 = NowNs();
  std::string err;
  bool ok = sh.dest->CopyOut(slot, sh.staging->HostPtr(slot), sh.o->blockSize, &err);
  st.copySec += static_cast<double>(NowNs() - t0) / 1e9;
  if (!ok) sh.Fail(0, err);
  return ok;
}
bool AfterIo(Shared& sh, StreamState& st, size_t slot) {
  if (!sh.staging || sh.o->write) return true;
  uint64_t t0 = NowNs();
  std::string err;
  bool ok = sh.dest->CopyIn(slot, sh.staging->HostPtr(slot), sh.o->blockSize, &err);
  st.copySec += static_cast<double>(NowNs() - t0) / 1e9;
  if (!ok) sh.Fail(0, err);
  return ok;
}

OffsetGen MakeGen(const Shared& sh, unsigned stream, unsigned streams) {
  OffsetGen g;
  g.nblocks = sh.nblocks;
  g.random = sh.o->random;
  g.rng = (sh.o->seed ? sh.o->seed : 1) * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull + 1;
  if (sh.nblocks >= streams) {
    g.first = sh.nblocks * stream / streams;
    g.count = sh.nblocks * (stream + 1) / streams - g.first;
  } else {
    g.first = 0;
    g.count = sh.nblocks;
  }
  if (g.count == 0) g.count = 1;
  return g;
}

uint64_t Budget(const EngineOptions& o, unsigned stream, unsigned streams) {
  if (o.totalBytes == 0) return UINT64_MAX;
  uint64_t blocks = (o.totalBytes + o.blockSize - 1) / o.blockSize;
  return blocks / streams + (stream < blocks % streams ? 1 : 0);
}

// ---- io_uring stream: one ring, queueDepth slots ----
void UringStream(Shared& sh, StreamState& st, unsigned w) {
  const EngineOptions& o = *sh.o;
  const unsigned qd = o.queueDepth;
  const size_t slot0 = static_cast<size_t>(w) * qd;
  std::string err;
  if (!sh.dest->BindThread(&err)) { sh.Fail(0, err); return; }
  Ring ring;
  int e = 0;
  std::string msg;
  if (!ring.Init(qd, &e, &msg)) { sh.Fail(e, msg); return; }
  if (o.registerBuffers) {
    std::vector<iovec> iov(qd);
    for (unsigned i = 0; i < qd; i++) {
      iov[i].iov_base = IoBuf(sh, slot0 + i);
      iov[i].iov_len = o.blockSize;
    }
    int re = 0;
    st.registered = ring.RegisterBuffers(iov, &re);
    st.registerErr = re;
  }
  const bool fixed = st.registered;
  const uint8_t op = o.write ? (fixed ? IORING_OP_WRITE_FIXED : IORING_OP_WRITE)
                             : (fixed ? IORING_OP_READ_FIXED : IORING_OP_READ);
  OffsetGen gen = MakeGen(sh, w, o.workers);
  const uint64_t budget = Budget(o, w, o.workers);
  uint64_t issued = 0, bytes = 0, ios = 0;
  std::vector<uint64_t> submitNs(qd), slotOff(qd);
  std::vector<unsigned> freeSlots;
  freeSlots.reserve(qd);
  for (unsigned i = qd; i-- > 0;) freeSlots.push_back(i);
  unsigned inflight = 0;
  bool stopping = false;
  for (;;) {
    if (!stopping && sh.stop.load(std::memory_order_relaxed)) stopping = true;
    uint64_t now = NowNs();
    while (!stopping && !freeSlots.empty() && issued < budget) {
      unsigned s = freeSlots.back();
      if (!BeforeIo(sh, st, slot0 + s)) { stopping = true; break; }
      io_uring_sqe* sqe = ring.GetSqe();
      if (!sqe) break;  // cannot happen: ring entries >= qd
      freeSlots.pop_back();
      uint64_t off = o.rangeOffset + gen.Next() * o.blockSize;
      sqe->opcode = op;
      sqe->fd = sh.fd;
      sqe->addr = reinterpret_cast<uint64_t>(IoBuf(sh, slot0 + s));
      sqe->len = o.blockSize;
      sqe->off = off;
      if (fixed) sqe->buf_index = static_cast<uint16_t>(s);
      sqe->user_data = s;
      submitNs[s] = now;
      slotOff[s] = off;
      issued++;
      inflight++;
    }
    if (inflight == 0) break;
    int r = ring.SubmitAndWait(1);
    if (r < 0) {
      sh.Fail(-r, ErrnoMessage(-r, "io_uring_enter", ""));
      // Nothing more can be reaped reliably; the ring's close waits for in-flight requests.
      break;
    }
    now = NowNs();
    ring.Reap([&](const io_uring_cqe& c) {
      unsigned s = static_cast<unsigned>(c.user_data);
      if (s >= qd) return;  // not ours (cannot happen)
      st.hist.Add(now - submitNs[s]);
      inflight--;
      freeSlots.push_back(s);
      if (c.res < 0) {
        sh.Fail(-c.res, ErrnoMessage(-c.res, o.write ? "write" : "read", "") + " at offset " + std::to_string(slotOff[s]));
        stopping = true;
        return;
      }
      if (static_cast<uint32_t>(c.res) != o.blockSize) {
        sh.Fail(EIO, "short " + IoWhat(o.write, slotOff[s]) + ": " + std::to_string(c.res) + " of " +
                         std::to_string(o.blockSize) + " bytes");
        stopping = true;
        return;
      }
      if (!AfterIo(sh, st, slot0 + s)) { stopping = true; return; }
      sh.lastOffset[slot0 + s] = slotOff[s];
      bytes += o.blockSize;
      ios++;
    });
    st.bytes.store(bytes, std::memory_order_relaxed);
    st.ios.store(ios, std::memory_order_relaxed);
    if (now >= sh.deadlineNs) sh.stop.store(true, std::memory_order_relaxed);
  }
  ThreadUsage(&st.usage);
}

// ---- blocking stream: one slot; pread/pwrite, or cuFileRead/cuFileWrite ----
void SyncStream(Shared& sh, StreamState& st, unsigned t, unsigned threads) {
  const EngineOptions& o = *sh.o;
  std::string err;
  if (!sh.dest->BindThread(&err)) { sh.Fail(0, err); ThreadUsage(&st.usage); return; }
  OffsetGen gen = MakeGen(sh, t, threads);
  const uint64_t budget = Budget(o, t, threads);
  const size_t slot = t;
  uint64_t bytes = 0, ios = 0;
  for (uint64_t i = 0; i < budget && !sh.stop.load(std::memory_order_relaxed); i++) {
    if (!BeforeIo(sh, st, slot)) break;
    uint64_t off = o.rangeOffset + gen.Next() * o.blockSize;
    uint64_t t0 = NowNs();
    ssize_t r;
    int e = 0;
    if (sh.gpu) {
      r = o.write ? sh.gpu->Write(slot, o.blockSize, off) : sh.gpu->Read(slot, o.blockSize, off);
      if (r < 0) e = (r == -1) ? errno : static_cast<int>(-r);
    } else {
      do {
        r = o.write ? pwrite(sh.fd, IoBuf(sh, slot), o.blockSize, static_cast<off_t>(off))
                    : pread(sh.fd, IoBuf(sh, slot), o.blockSize, static_cast<off_t>(off));
      } while (r < 0 && errno == EINTR);
      if (r < 0) e = errno;
    }
    uint64_t t1 = NowNs();
    st.hist.Add(t1 - t0);
    if (r < 0) {
      sh.Fail(e, ErrnoMessage(e, sh.gpu ? (o.write ? "cuFileWrite" : "cuFileRead") : (o.write ? "pwrite" : "pread"), "") +
                     " at offset " + std::to_string(off));
      break;
    }
    if (static_cast<uint64_t>(r) != o.blockSize) {
      sh.Fail(EIO, "short " + IoWhat(o.write, off) + ": " + std::to_string(r) + " of " + std::to_string(o.blockSize) + " bytes");
      break;
    }
    if (!AfterIo(sh, st, slot)) break;
    sh.lastOffset[slot] = off;
    bytes += o.blockSize;
    ios++;
    st.bytes.store(bytes, std::memory_order_relaxed);
    st.ios.store(ios, std::memory_order_relaxed);
    if (t1 >= sh.deadlineNs) sh.stop.store(true, std::memory_order_relaxed);
  }
  ThreadUsage(&st.usage);
}

/** Compare what is in the destination with a host read of the same source range. */
void Verify(Shared& sh, EngineResult* out) {
  const EngineOptions& o = *sh.o;
  std::vector<size_t> withData;
  for (size_t s = 0; s < sh.lastOffset.size(); s++)
    if (sh.lastOffset[s] != kNoOffset) withData.push_back(s);
  if (o.verifySlots == 0 || withData.empty()) return;
  std::string err;
  if (!sh.dest->BindThread(&err)) { out->verifyChecked = false; out->verifyError = err; return; }
  // test hook: damage the destination after the run
  if (o.testCorruptByte >= 0) {
    size_t s = withData[0];
    size_t b = static_cast<size_t>(o.testCorruptByte) % o.blockSize;
    std::vector<uint8_t> tmp(o.blockSize);
    if (sh.dest->CopyOut(s, tmp.data(), o.blockSize, &err)) {
      tmp[b] ^= 0xFF;
      sh.dest->CopyIn(s, tmp.data(), o.blockSize, &err);
    }
  }
  std::vector<size_t> pick;
  if (o.verifySlots < 0 || static_cast<uint64_t>(o.verifySlots) >= withData.size()) {
    pick = withData;
  } else {
    size_t n = static_cast<size_t>(o.verifySlots);
    for (size_t i = 0; i < n; i++) pick.push_back(withData[i * withData.size() / n]);
  }
  int flags = O_RDONLY | O_CLOEXEC | (o.direct ? O_DIRECT : 0);
  int fd = open(o.path.c_str(), flags);
  if (fd < 0) { out->verifyError = ErrnoMessage(errno, "open", o.path); return; }
  Fd guard(fd);
  Mapping fileBuf, destBuf;
  int e = 0;
  if (!fileBuf.MapAnon(PageRound(o.blockSize), &e) || !destBuf.MapAnon(PageRound(o.blockSize), &e)) {
    out->verifyError = ErrnoMessage(e, "mmap", "verify buffer");
    return;
  }
  out->verifyChecked = true;
  for (size_t s : pick) {
    uint64_t off = sh.lastOffset[s];
    size_t got = 0;
    while (got < o.blockSize) {
      ssize_t r = pread(fd, fileBuf.data() + got, o.blockSize - got, static_cast<off_t>(off + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        out->verifyChecked = false;
        out->verifyError = r < 0 ? ErrnoMessage(errno, "pread", o.path) + " at offset " + std::to_string(off + got)
                                 : "unexpected EOF at offset " + std::to_string(off + got);
        return;
      }
      got += static_cast<size_t>(r);
    }
    if (!sh.dest->CopyOut(s, destBuf.data(), o.blockSize, &err)) {
      out->verifyChecked = false;
      out->verifyError = err;
      return;
    }
    // read: the file is the truth; write: what we sent (the destination) is the truth
    const uint8_t* expect = o.write ? destBuf.data() : fileBuf.data();
    const uint8_t* actual = o.write ? fileBuf.data() : destBuf.data();
    out->slotsCompared++;
    out->bytesCompared += o.blockSize;
    if (std::memcmp(expect, actual, o.blockSize) != 0) {
      for (size_t i = 0; i < o.blockSize; i++) {
        if (expect[i] != actual[i]) {
          int64_t bad = static_cast<int64_t>(off + i);
          if (out->verifyOk || bad < out->firstBadOffset) {
            out->firstBadOffset = bad;
            out->expected = expect[i];
            out->actual = actual[i];
          }
          out->verifyOk = false;
          break;
        }
      }
    }
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// RunEngine, as named steps: check options, choose engine, open source, set up buffers, fill the
// write pattern, run the streams, collect, verify. Teardown is the owners' destructors, in order.
// ------------------------------------------------------------------------------------------------

namespace {

/** How the run is laid out once the engine is chosen. */
struct EngineLayout {
  std::string engine;  // io_uring | psync | cufile
  bool sync = false;   // blocking streams (psync or cuFile) rather than io_uring rings
  unsigned threads = 0;
  size_t slots = 0;
};

/** The destination and its bounce staging. Members are destroyed in reverse order: the destination
 *  first, so a GPU destination unpins the staging before it is unmapped. */
struct EngineBuffers {
  std::unique_ptr<HostDest> staging;
  std::unique_ptr<DestMemory> dest;
  GpuDest* gpu = nullptr;      // cuFile direct: the streams call cuFileRead/Write on it
  GpuDest* gpuDest = nullptr;  // any GPU destination (bounce pins the staging through it)
};

/** Timing and CPU of the streams' run. */
struct StreamsRun {
  uint64_t start = 0, end = 0;
  rusage ru0{}, ru1{};
  unsigned started = 0;
};

bool CheckOptions(const EngineOptions& o, SetupError* se) {
  if (o.blockSize == 0 || o.blockSize % 512 != 0) { se->message = "block size must be a multiple of 512"; return false; }
  if (o.direct && o.rangeOffset % 512 != 0) { se->message = "range offset must be a multiple of 512 with O_DIRECT"; return false; }
  if (o.rangeLength < o.blockSize) { se->message = "source range is smaller than one block"; return false; }
  if (o.queueDepth == 0 || o.workers == 0) { se->message = "queue depth and workers must be >= 1"; return false; }
  if (o.totalBytes == 0 && o.durationMs == 0) { se->message = "set a byte limit or a duration"; return false; }
  return true;
}

/** cuFile direct, psync when asked, else io_uring when the kernel allows it (psync with a note). */
bool ChooseEngine(const EngineOptions& o, bool cufileDirect, EngineLayout* lay, EngineResult* out, SetupError* se) {
  if (cufileDirect) {
    lay->engine = "cufile";
  } else if (o.engine == EngineOptions::Engine::Psync) {
    lay->engine = "psync";
  } else {
    std::string why;
    if (ProbeIoUring(&why)) {
      lay->engine = "io_uring";
    } else if (o.engine == EngineOptions::Engine::IoUring) {
      se->err = EPERM;
      se->message = "io_uring unavailable: " + why;
      return false;
    } else {
      lay->engine = "psync";
      out->engineNote = "io_uring unavailable (" + why + "); used the pread/pwrite thread pool";
    }
  }
  lay->sync = lay->engine != "io_uring";
  lay->threads = lay->sync ? std::min<unsigned>(o.workers * o.queueDepth, 1024u) : o.workers;
  lay->slots = lay->sync ? lay->threads : static_cast<size_t>(o.workers) * o.queueDepth;
  if (lay->sync && o.workers * o.queueDepth > 1024u && out->engineNote.empty())
    out->engineNote = "thread pool capped at 1024 threads";
  out->engine = lay->engine;
  out->threads = lay->threads;
  return true;
}

bool OpenTarget(const EngineOptions& o, Fd* src, SetupError* se) {
  int flags = (o.write ? O_RDWR : O_RDONLY) | O_CLOEXEC | (o.direct ? O_DIRECT : 0);
  int fd = open(o.path.c_str(), flags);
  if (fd < 0) {
    se->err = errno;
    se->message = ErrnoMessage(se->err, "open", o.path) + (o.direct && errno == EINVAL ? " (O_DIRECT not supported here?)" : "");
    return false;
  }
  src->reset(fd);
  return true;
}

bool SetUpDestination(const EngineOptions& o, size_t slots, int srcFd, bool cufileDirect, EngineBuffers* b,
                      SetupError* se) {
  switch (o.dest) {
    case EngineOptions::Dest::Host: {
      auto h = std::make_unique<HostDest>(o.blockSize);
      if (!h->Init(slots, se)) return false;
      b->dest = std::move(h);
      break;
    }
    case EngineOptions::Dest::P2pmem:
    case EngineOptions::Dest::Dax:
    case EngineOptions::Dest::Udmabuf: {
      auto p = std::make_unique<PeerDest>(o.blockSize);
      if (!p->Init(PeerKindOf(o.dest), o.allocatePath, slots, se)) return false;
      b->dest = std::move(p);
      break;
    }
    case EngineOptions::Dest::CuFile: {
      auto g = std::make_unique<GpuDest>(o.blockSize);
      if (!g->Init(o, slots, srcFd, cufileDirect, se)) return false;
      if (cufileDirect) b->gpu = g.get();
      b->gpuDest = g.get();
      b->dest = std::move(g);
      break;
    }
  }
  return true;
}

/** Bounce mode: host staging per slot, pinned for the GPU when it can be. */
bool SetUpStaging(const EngineOptions& o, size_t slots, EngineBuffers* b, EngineResult* out, SetupError* se) {
  if (!o.bounce) return true;
  b->staging = std::make_unique<HostDest>(o.blockSize);
  if (!b->staging->Init(slots, se)) return false;
  if (b->gpuDest) {
    std::string why = b->gpuDest->PinStaging(b->staging->HostPtr(0), PageRound(slots * o.blockSize));
    out->staging = why.empty() ? "pinned" : "pageable";
    if (!why.empty() && out->engineNote.empty()) out->engineNote = why + ": bounce copies from pageable memory";
  }
  return true;
}

/** Write mode: the destination holds the data to send: one pseudo-random block in every slot. */
bool FillWritePattern(const EngineOptions& o, size_t slots, DestMemory* dest, SetupError* se) {
  if (!o.write) return true;
  std::vector<uint8_t> pat(o.blockSize);
  uint64_t r = o.seed ^ 0xA5A5A5A5DEADBEEFull;
  if (!r) r = 1;
  for (size_t i = 0; i + 8 <= pat.size(); i += 8) {
    uint64_t v = XorShift(&r);
    std::memcpy(&pat[i], &v, 8);
  }
  std::string err;
  if (!dest->BindThread(&err)) { se->message = err; return false; }
  for (size_t s = 0; s < slots; s++) {
    if (!dest->CopyIn(s, pat.data(), o.blockSize, &err)) { se->message = err; return false; }
  }
  return true;
}

/** Starts one thread per stream; a thread that cannot start fails the run, the others still run. */
void StartStreams(Shared& sh, std::vector<std::unique_ptr<StreamState>>& st, const EngineLayout& lay,
                  std::vector<std::thread>* pool) {
  const unsigned threads = lay.threads;
  const bool sync = lay.sync;
  pool->reserve(threads);
  try {
    for (unsigned i = 0; i < threads; i++) {
      pool->emplace_back([&sh, &st, i, sync, threads] {
        if (sync) SyncStream(sh, *st[i], i, threads);
        else UringStream(sh, *st[i], i);
        sh.Finished();
      });
    }
  } catch (const std::system_error& ex) {
    sh.Fail(EAGAIN, std::string("cannot start I/O thread: ") + ex.what());
  }
}

/** Waits for the streams, passing on cancel and the deadline and reporting progress each interval. */
void WaitForStreams(Shared& sh, const std::vector<std::unique_ptr<StreamState>>& st, unsigned started, uint64_t start,
                    const std::atomic<bool>& cancel, const ProgressFn& progress, uint32_t intervalMs,
                    EngineResult* out) {
  std::unique_lock<std::mutex> lk(sh.mu);
  const auto interval = std::chrono::milliseconds(std::max<uint32_t>(intervalMs, 20));
  while (sh.finished < started) {
    sh.cv.wait_for(lk, interval);
    if (cancel.load(std::memory_order_relaxed)) {
      out->cancelled = true;
      sh.stop.store(true, std::memory_order_relaxed);
    }
    if (NowNs() >= sh.deadlineNs) sh.stop.store(true, std::memory_order_relaxed);
    if (progress && sh.finished < started) {
      uint64_t b = 0, n = 0;
      for (auto& s : st) { b += s->bytes.load(std::memory_order_relaxed); n += s->ios.load(std::memory_order_relaxed); }
      lk.unlock();
      progress(b, n, static_cast<double>(NowNs() - start) / 1e9);
      lk.lock();
    }
  }
}

/** The submit/complete loop: every stream on its own thread, this one watching; CPU measured around it. */
StreamsRun RunStreams(const EngineOptions& o, Shared& sh, std::vector<std::unique_ptr<StreamState>>& st,
                      const EngineLayout& lay, const std::atomic<bool>& cancel, const ProgressFn& progress,
                      EngineResult* out) {
  StreamsRun run;
  if (getrusage(RUSAGE_SELF, &run.ru0) != 0) std::memset(&run.ru0, 0, sizeof run.ru0);
  run.start = NowNs();
  if (o.durationMs) sh.deadlineNs = run.start + o.durationMs * 1000000ull;
  std::vector<std::thread> pool;
  StartStreams(sh, st, lay, &pool);
  run.started = static_cast<unsigned>(pool.size());
  WaitForStreams(sh, st, run.started, run.start, cancel, progress, o.progressIntervalMs, out);
  for (auto& t : pool) t.join();
  run.end = NowNs();
  if (getrusage(RUSAGE_SELF, &run.ru1) != 0) run.ru1 = run.ru0;  // CPU then reads as 0 rather than garbage
  return run;
}

/** Sums the streams into the result: bytes, I/Os, latency, CPU, buffer registration, the first error. */
void CollectResults(const EngineOptions& o, const EngineLayout& lay, const Shared& sh,
                    const std::vector<std::unique_ptr<StreamState>>& st, const StreamsRun& run, EngineResult* out) {
  out->elapsedSec = static_cast<double>(run.end - run.start) / 1e9;
  out->userSec = TvSec(run.ru1.ru_utime) - TvSec(run.ru0.ru_utime);
  out->sysSec = TvSec(run.ru1.ru_stime) - TvSec(run.ru0.ru_stime);
  bool anyRegistered = false;
  int regErr = 0;
  for (unsigned i = 0; i < run.started; i++) {
    StreamState& s = *st[i];
    out->bytes += s.bytes.load();
    out->ios += s.ios.load();
    out->latency.Merge(s.hist);
    out->copySec += s.copySec;
    out->threadUserSec += TvSec(s.usage.ru_utime);
    out->threadSysSec += TvSec(s.usage.ru_stime);
    anyRegistered = anyRegistered || s.registered;
    if (s.registerErr) regErr = s.registerErr;
  }
  out->registeredBuffers = anyRegistered;
  if (lay.engine == "io_uring" && o.registerBuffers && !anyRegistered && regErr)
    out->registerNote = "IORING_REGISTER_BUFFERS refused: " + ErrnoMessage(regErr, "io_uring_register", "") + "; used plain reads";
  out->error = sh.error;
  out->errorCode = sh.errorCode;
}

}  // namespace

bool RunEngine(const EngineOptions& o, const std::atomic<bool>& cancel, const ProgressFn& progress,
               EngineResult* out, SetupError* se) {
  if (!CheckOptions(o, se)) return false;
  const bool cufileDirect = o.dest == EngineOptions::Dest::CuFile && !o.bounce;
  EngineLayout lay;
  if (!ChooseEngine(o, cufileDirect, &lay, out, se)) return false;
  Fd src;  // declared before the buffers: a cuFile handle on it is deregistered before it closes
  if (!OpenTarget(o, &src, se)) return false;
  EngineBuffers buf;
  if (!SetUpDestination(o, lay.slots, src.get(), cufileDirect, &buf, se)) return false;
  if (!SetUpStaging(o, lay.slots, &buf, out, se)) return false;
  if (!FillWritePattern(o, lay.slots, buf.dest.get(), se)) return false;

  Shared sh;
  sh.o = &o;
  sh.fd = src.get();
  sh.dest = buf.dest.get();
  sh.gpu = buf.gpu;
  sh.staging = buf.staging.get();
  sh.nblocks = o.rangeLength / o.blockSize;
  sh.lastOffset.assign(lay.slots, kNoOffset);
  std::vector<std::unique_ptr<StreamState>> st;
  for (unsigned i = 0; i < lay.threads; i++) st.push_back(std::make_unique<StreamState>());

  const StreamsRun run = RunStreams(o, sh, st, lay, cancel, progress, out);
  CollectResults(o, lay, sh, st, run, out);
  Verify(sh, out);
  return true;
}

}  // namespace p2p
