#include "probe.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "uring.h"
#include "util.h"

namespace p2p {

namespace {

// ---- results ----

ConsumerResult Skipped(const char* consumer, const std::string& why) {
  ConsumerResult r;
  r.consumer = consumer;
  r.outcome = "skipped";
  r.detail = why;
  return r;
}

ConsumerResult Refused(const char* consumer, const std::string& call, int e, const std::string& detail = "") {
  ConsumerResult r;
  r.consumer = consumer;
  r.outcome = "refused";
  r.call = call;
  r.errnoName = ErrnoName(e);
  r.detail = detail.empty() ? ErrnoMessage(e, call.c_str(), "") : detail;
  return r;
}

ConsumerResult Accepted(const char* consumer, const std::string& call, uint64_t bytes, const std::string& detail) {
  ConsumerResult r;
  r.consumer = consumer;
  r.outcome = "accepted";
  r.call = call;
  r.bytesVerified = bytes;
  r.detail = detail;
  return r;
}

uint64_t XorShift(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

/** Pseudo-random bytes: what the write and vmsplice consumers send, so a stale buffer never matches. */
void FillPattern(uint8_t* p, size_t n, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 0x5DEECE66Dull;
  if (!s) s = 1;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = XorShift(&s);
    std::memcpy(p + i, &v, n - i < 8 ? n - i : 8);
  }
}

/** First differing offset, or -1. */
int64_t FirstDiff(const uint8_t* a, const uint8_t* b, size_t n) {
  if (std::memcmp(a, b, n) == 0) return -1;
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return static_cast<int64_t>(i);
  return -1;
}

/** Test hook: P2P_PROBE_TEST_CORRUPT=CONSUMER flips one delivered byte of that consumer before the
 *  comparison, so the mismatch path is exercised where no IOMMU misroutes anything. */
void TestCorrupt(const char* consumer, const uint8_t* got, size_t n) {
  const char* which = std::getenv("P2P_PROBE_TEST_CORRUPT");
  if (which && n > 4097 && std::strcmp(which, consumer) == 0) const_cast<uint8_t*>(got)[4097] ^= 0xFF;
}

/** Accepted when `got` (what the consumer delivered) equals `want` (the reference), else a mismatch. */
ConsumerResult Compare(const char* consumer, const std::string& call, const uint8_t* want, const uint8_t* got, size_t n,
                       const std::string& what) {
  TestCorrupt(consumer, got, n);
  int64_t bad = FirstDiff(want, got, n);
  if (bad < 0) return Accepted(consumer, call, n, what + ": " + std::to_string(n) + " bytes verified");
  ConsumerResult r;
  r.consumer = consumer;
  r.outcome = "mismatch";
  r.call = call;
  char buf[160];
  std::snprintf(buf, sizeof buf, ": the call succeeded but the bytes differ from offset %lld (expected 0x%02x, got 0x%02x)",
                static_cast<long long>(bad), want[bad], got[bad]);
  r.detail = what + buf;
  return r;
}

/** Read exactly n bytes at offset 0 of `path` with O_DIRECT into host memory: the reference copy. */
bool HostRead(const std::string& path, Mapping* ref, size_t n, std::string* why) {
  int e = 0;
  if (!ref->MapAnon(PageRound(n), &e)) { *why = ErrnoMessage(e, "mmap", "reference buffer"); return false; }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  if (fd < 0) { *why = ErrnoMessage(errno, "open(O_DIRECT)", path); return false; }
  Fd g(fd);
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, ref->data() + got, n - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { *why = r < 0 ? ErrnoMessage(errno, "pread", path) : "EOF after " + std::to_string(got) + " bytes of " + path; return false; }
    got += static_cast<size_t>(r);
  }
  return true;
}

/** The consumer read `n` bytes of `path` into the mapping: compare with a host-buffer read of the same range. */
ConsumerResult VerifyRead(const char* consumer, const std::string& call, const std::string& path, const PeerMemory& m, size_t n) {
  Mapping ref;
  std::string why;
  if (!HostRead(path, &ref, n, &why)) {
    ConsumerResult r = Skipped(consumer, "the reference read failed, nothing to compare with: " + why);
    r.call = call;
    return r;
  }
  return Compare(consumer, call, ref.data(), m.data(), n, path + " -> " + m.what());
}

// ---- O_DIRECT pread / pwrite ----

ConsumerResult ODirectRead(const char* consumer, const std::string& path, PeerMemory& m, size_t n) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  if (fd < 0) return Skipped(consumer, ErrnoMessage(errno, "open(O_DIRECT)", path));
  Fd g(fd);
  std::memset(m.data(), 0xA5, n);
  ssize_t r;
  do r = pread(fd, m.data(), n, 0); while (r < 0 && errno == EINTR);
  if (r < 0) return Refused(consumer, "pread(O_DIRECT)", errno, ErrnoMessage(errno, "pread(O_DIRECT)", path + " -> " + m.what()));
  if (static_cast<size_t>(r) != n) {
    ConsumerResult c = Skipped(consumer, "short read: " + std::to_string(r) + " of " + std::to_string(n) + " bytes (is " + path + " smaller than --size?)");
    c.call = "pread(O_DIRECT)";
    return c;
  }
  return VerifyRead(consumer, "pread(O_DIRECT)", path, m, n);
}

/** Send the pattern from the mapping to the first n bytes of `path`, read it back through host memory, compare. */
ConsumerResult ODirectWrite(const char* consumer, const std::string& path, PeerMemory& m, size_t n, uint64_t seed) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT);
  if (fd < 0) return Skipped(consumer, ErrnoMessage(errno, "open(O_RDWR|O_DIRECT)", path));
  Fd g(fd);
  Mapping want;
  int e = 0;
  if (!want.MapAnon(PageRound(n), &e)) return Skipped(consumer, ErrnoMessage(e, "mmap", "pattern buffer"));
  FillPattern(want.data(), n, seed);
  std::memcpy(m.data(), want.data(), n);
  ssize_t r;
  do r = pwrite(fd, m.data(), n, 0); while (r < 0 && errno == EINTR);
  if (r < 0) return Refused(consumer, "pwrite(O_DIRECT)", errno, ErrnoMessage(errno, "pwrite(O_DIRECT)", m.what() + " -> " + path));
  if (static_cast<size_t>(r) != n) return Skipped(consumer, "short write: " + std::to_string(r) + " of " + std::to_string(n) + " bytes");
  if (fsync(fd) != 0) { /* O_DIRECT wrote through; the read-back below is the check */ }
  Mapping back;
  std::string why;
  if (!HostRead(path, &back, n, &why)) return Skipped(consumer, "the read-back failed: " + why);
  return Compare(consumer, "pwrite(O_DIRECT)", want.data(), back.data(), n, m.what() + " -> " + path);
}

// ---- io_uring ----

ConsumerResult UringRead(const char* consumer, const std::string& path, PeerMemory& m, size_t n, bool fixed) {
  Ring ring;
  int e = 0;
  std::string msg;
  if (!ring.Init(4, &e, &msg)) return Skipped(consumer, "io_uring unavailable: " + msg);
  if (fixed) {
    std::vector<iovec> iov(1);
    iov[0].iov_base = m.data();
    iov[0].iov_len = n;
    if (!ring.RegisterBuffers(iov, &e))
      return Refused(consumer, "io_uring_register(IORING_REGISTER_BUFFERS)", e,
                     ErrnoMessage(e, "io_uring_register(IORING_REGISTER_BUFFERS)", m.what()));
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  if (fd < 0) return Skipped(consumer, ErrnoMessage(errno, "open(O_DIRECT)", path));
  Fd g(fd);
  std::memset(m.data(), 0xA5, n);
  io_uring_sqe* sqe = ring.GetSqe();
  sqe->opcode = fixed ? IORING_OP_READ_FIXED : IORING_OP_READ;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(m.data());
  sqe->len = static_cast<uint32_t>(n);
  sqe->off = 0;
  sqe->buf_index = 0;
  int r = ring.SubmitAndWait(1);
  const std::string call = fixed ? "IORING_OP_READ_FIXED" : "IORING_OP_READ";
  if (r < 0) return Refused(consumer, "io_uring_enter", -r);
  int res = 0;
  unsigned got = ring.Reap([&](const io_uring_cqe& c) { res = c.res; });
  if (got == 0) return Skipped(consumer, "io_uring_enter returned without a completion");
  if (res < 0) return Refused(consumer, call, -res, ErrnoMessage(-res, call.c_str(), path + " -> " + m.what()));
  if (static_cast<size_t>(res) != n) return Skipped(consumer, "short read: " + std::to_string(res) + " of " + std::to_string(n) + " bytes");
  return VerifyRead(consumer, call, path, m, n);
}

// ---- vmsplice ----

/** vmsplice the mapping into a pipe (the kernel takes references on its pages), read the pipe, compare. */
ConsumerResult Vmsplice(PeerMemory& m, size_t n, uint64_t seed) {
  const char* consumer = "vmsplice";
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Skipped(consumer, ErrnoMessage(errno, "pipe2", ""));
  Fd rd(p[0]), wr(p[1]);
  fcntl(wr.get(), F_SETPIPE_SZ, 1 << 20);  // larger chunks when allowed; the default 64 KiB works too
  int cap = fcntl(wr.get(), F_GETPIPE_SZ);
  size_t chunk = cap > 0 ? static_cast<size_t>(cap) : 65536u;
  Mapping want, got;
  int e = 0;
  if (!want.MapAnon(PageRound(n), &e) || !got.MapAnon(PageRound(n), &e)) return Skipped(consumer, ErrnoMessage(e, "mmap", "host buffers"));
  FillPattern(want.data(), n, seed);
  std::memcpy(m.data(), want.data(), n);
  size_t off = 0;
  while (off < n) {
    iovec iov{m.data() + off, std::min(chunk, n - off)};
    ssize_t r = vmsplice(wr.get(), &iov, 1, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Refused(consumer, "vmsplice", errno, ErrnoMessage(errno, "vmsplice", m.what() + " at offset " + std::to_string(off)));
    if (r == 0) return Skipped(consumer, "vmsplice moved nothing at offset " + std::to_string(off));
    size_t left = static_cast<size_t>(r);
    while (left) {
      ssize_t k = read(rd.get(), got.data() + off, left);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return Skipped(consumer, k < 0 ? ErrnoMessage(errno, "read", "the pipe") : "the pipe ended early");
      off += static_cast<size_t>(k);
      left -= static_cast<size_t>(k);
    }
  }
  return Compare(consumer, "vmsplice", want.data(), got.data(), n, m.what() + " -> pipe");
}

// ---- RDMA memory registration (libibverbs loaded at run time) ----

struct IbvApi {
  void* (*get_device_list)(int*) = nullptr;  // struct ibv_device**
  void (*free_device_list)(void*) = nullptr;
  const char* (*get_device_name)(void*) = nullptr;
  void* (*open_device)(void*) = nullptr;
  int (*close_device)(void*) = nullptr;
  void* (*alloc_pd)(void*) = nullptr;
  int (*dealloc_pd)(void*) = nullptr;
  void* (*reg_mr)(void*, void*, size_t, int) = nullptr;
  int (*dereg_mr)(void*) = nullptr;
  void* (*reg_dmabuf_mr)(void*, uint64_t, size_t, uint64_t, int, int) = nullptr;  // rdma-core 34+
};

constexpr int kIbvAccess = 1 | 2 | 4;  // IBV_ACCESS_LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ

/** An opened device and PD; everything released in reverse. */
class IbvSession {
 public:
  ~IbvSession() {
    if (pd_) api_.dealloc_pd(pd_);
    if (ctx_) api_.close_device(ctx_);
    if (list_) api_.free_device_list(list_);
    if (lib_) dlclose(lib_);
  }
  /** "" when the PD is ready, else why not (the consumer is then skipped). */
  std::string Open(const std::string& lib, const std::string& device) {
    lib_ = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) { const char* d = dlerror(); return std::string("cannot load ") + lib + ": " + (d ? d : "dlopen failed"); }
    struct Sym { const char* name; void** slot; } syms[] = {
        {"ibv_get_device_list", reinterpret_cast<void**>(&api_.get_device_list)},
        {"ibv_free_device_list", reinterpret_cast<void**>(&api_.free_device_list)},
        {"ibv_get_device_name", reinterpret_cast<void**>(&api_.get_device_name)},
        {"ibv_open_device", reinterpret_cast<void**>(&api_.open_device)},
        {"ibv_close_device", reinterpret_cast<void**>(&api_.close_device)},
        {"ibv_alloc_pd", reinterpret_cast<void**>(&api_.alloc_pd)},
        {"ibv_dealloc_pd", reinterpret_cast<void**>(&api_.dealloc_pd)},
        {"ibv_reg_mr", reinterpret_cast<void**>(&api_.reg_mr)},
        {"ibv_dereg_mr", reinterpret_cast<void**>(&api_.dereg_mr)},
    };
    for (const Sym& s : syms) {
      *s.slot = dlsym(lib_, s.name);
      if (!*s.slot) return lib + " lacks " + s.name;
    }
    *reinterpret_cast<void**>(&api_.reg_dmabuf_mr) = dlsym(lib_, "ibv_reg_dmabuf_mr");
    int num = 0;
    errno = 0;
    list_ = api_.get_device_list(&num);
    if (!list_) return ErrnoMessage(errno ? errno : ENODEV, "ibv_get_device_list", "");
    void** devs = static_cast<void**>(list_);
    std::string names;
    for (int i = 0; i < num; i++) {
      const char* nm = api_.get_device_name(devs[i]);
      if (nm && device == nm) { dev_ = devs[i]; break; }
      if (nm) names += std::string(names.empty() ? "" : ", ") + nm;
    }
    if (!dev_) return "no RDMA device " + device + " (ibv_get_device_list lists " + (num ? names : std::string("none")) + ")";
    errno = 0;
    ctx_ = api_.open_device(dev_);
    if (!ctx_) return ErrnoMessage(errno ? errno : ENODEV, "ibv_open_device", device);
    errno = 0;
    pd_ = api_.alloc_pd(ctx_);
    if (!pd_) return ErrnoMessage(errno ? errno : ENOMEM, "ibv_alloc_pd", device);
    return "";
  }
  const IbvApi& api() const { return api_; }
  void* pd() const { return pd_; }

 private:
  void* lib_ = nullptr;
  IbvApi api_;
  void* list_ = nullptr;
  void* dev_ = nullptr;
  void* ctx_ = nullptr;
  void* pd_ = nullptr;
};

ConsumerResult RdmaRegister(const ProbeOptions& o, PeerMemory& m, size_t n, bool dmabuf) {
  const char* consumer = dmabuf ? "ibv_reg_dmabuf_mr" : "ibv_reg_mr";
  if (o.rdmaDevice.empty()) return Skipped(consumer, "no RDMA device given (--rdma DEV)");
  if (dmabuf && m.dmabufFd() < 0) return Skipped(consumer, m.what() + " is not a dma-buf (only udmabuf is)");
  IbvSession s;
  std::string why = s.Open(o.ibverbsLib, o.rdmaDevice);
  if (!why.empty()) return Skipped(consumer, why);
  if (dmabuf && !s.api().reg_dmabuf_mr) return Skipped(consumer, o.ibverbsLib + " has no ibv_reg_dmabuf_mr (rdma-core older than 34)");
  std::memset(m.data(), 0, n);  // the pages exist before the kernel pins them
  errno = 0;
  void* mr = dmabuf ? s.api().reg_dmabuf_mr(s.pd(), 0, n, 0, m.dmabufFd(), kIbvAccess)
                    : s.api().reg_mr(s.pd(), m.data(), n, kIbvAccess);
  if (!mr) {
    int e = errno ? errno : EINVAL;
    return Refused(consumer, consumer, e, ErrnoMessage(e, consumer, m.what() + " on " + o.rdmaDevice));
  }
  s.api().dereg_mr(mr);
  return Accepted(consumer, consumer, 0, "the memory region was registered on " + o.rdmaDevice + " (pages pinned and mapped for the device); no bytes moved");
}

// ---- V4L2 USERPTR / DMABUF ----

ConsumerResult V4l2Queue(const ProbeOptions& o, PeerMemory& m, bool dmabuf) {
  const char* consumer = dmabuf ? "v4l2-dmabuf" : "v4l2-userptr";
  if (o.videoDevice.empty()) return Skipped(consumer, "no video device given (--video /dev/videoN)");
  if (dmabuf && m.dmabufFd() < 0) return Skipped(consumer, m.what() + " is not a dma-buf (only udmabuf is)");
  int fd = open(o.videoDevice.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Skipped(consumer, ErrnoMessage(errno, "open", o.videoDevice));
  Fd g(fd);
  v4l2_capability cap;
  std::memset(&cap, 0, sizeof cap);
  if (ioctl(fd, VIDIOC_QUERYCAP, &cap) != 0) return Skipped(consumer, ErrnoMessage(errno, "VIDIOC_QUERYCAP", o.videoDevice));
  uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  if (!(caps & V4L2_CAP_STREAMING)) return Skipped(consumer, o.videoDevice + " does not stream (no V4L2_CAP_STREAMING)");
  v4l2_buf_type type;
  if (caps & V4L2_CAP_VIDEO_CAPTURE) type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  else if (caps & V4L2_CAP_VIDEO_OUTPUT) type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  else return Skipped(consumer, o.videoDevice + " is not a single-planar video capture or output node");
  v4l2_format fmt;
  std::memset(&fmt, 0, sizeof fmt);
  fmt.type = type;
  if (ioctl(fd, VIDIOC_G_FMT, &fmt) != 0) return Skipped(consumer, ErrnoMessage(errno, "VIDIOC_G_FMT", o.videoDevice));
  const size_t need = fmt.fmt.pix.sizeimage;
  if (need == 0 || need > m.size())
    return Skipped(consumer, "a frame of " + o.videoDevice + " needs " + std::to_string(need) + " bytes; the mapping holds " +
                                 std::to_string(m.size()) + " (give --size " + std::to_string(PageRound(need)) + ")");
  const uint32_t memory = dmabuf ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_USERPTR;
  v4l2_requestbuffers req;
  std::memset(&req, 0, sizeof req);
  req.count = 1;
  req.type = type;
  req.memory = memory;
  const char* reqCall = dmabuf ? "VIDIOC_REQBUFS(V4L2_MEMORY_DMABUF)" : "VIDIOC_REQBUFS(V4L2_MEMORY_USERPTR)";
  if (ioctl(fd, VIDIOC_REQBUFS, &req) != 0) return Refused(consumer, reqCall, errno, ErrnoMessage(errno, reqCall, o.videoDevice));
  if (req.count == 0) return Refused(consumer, reqCall, ENOMEM, std::string(reqCall) + " granted no buffer");
  v4l2_buffer b;
  std::memset(&b, 0, sizeof b);
  b.index = 0;
  b.type = type;
  b.memory = memory;
  if (dmabuf) {
    b.m.fd = m.dmabufFd();
    b.length = static_cast<uint32_t>(m.size());
  } else {
    b.m.userptr = reinterpret_cast<unsigned long>(m.data());
    b.length = static_cast<uint32_t>(need);
  }
  if (type == V4L2_BUF_TYPE_VIDEO_OUTPUT) b.bytesused = static_cast<uint32_t>(need);
  const char* qCall = "VIDIOC_QBUF";
  int rc = ioctl(fd, VIDIOC_QBUF, &b);
  int e = errno;
  v4l2_requestbuffers none = req;
  none.count = 0;
  ioctl(fd, VIDIOC_REQBUFS, &none);  // release the queue's hold on the memory
  if (rc != 0) return Refused(consumer, qCall, e, ErrnoMessage(e, qCall, m.what() + " on " + o.videoDevice));
  return Accepted(consumer, qCall, 0, std::string(dmabuf ? "the dma-buf was attached and mapped" : "the pages were pinned") +
                                          " by " + o.videoDevice + " (" + reinterpret_cast<const char*>(cap.driver) + ") for one " +
                                          std::to_string(need) + "-byte frame; no frame captured");
}

// ---- the scratch file ----

/** One file of n pseudo-random bytes in dir (written through the page cache), removed when done. */
class ScratchFile {
 public:
  ~ScratchFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  std::string Create(const std::string& dir, size_t n, uint64_t seed) {
    std::string tmpl = dir + "/p2p-probe-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = mkstemp(buf.data());
    if (fd < 0) return ErrnoMessage(errno, "mkstemp", tmpl);
    Fd g(fd);
    path_ = buf.data();
    std::vector<uint8_t> data(n);
    FillPattern(data.data(), n, seed ^ 0x51);
    size_t off = 0;
    while (off < n) {
      ssize_t r = write(fd, data.data() + off, n - off);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return ErrnoMessage(r < 0 ? errno : EIO, "write", path_);
      off += static_cast<size_t>(r);
    }
    if (fsync(fd) != 0) return ErrnoMessage(errno, "fsync", path_);
    return "";
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

bool RunProbe(const ProbeOptions& o, ProbeResult* out, PeerMemoryError* err) {
  PeerMemory m;
  if (!m.Map(o.kind, o.path, o.size, err)) return false;
  out->what = m.what();
  out->mapped = m.size();
  out->align = m.align();
  out->dmabuf = m.dmabufFd() >= 0;
  const size_t n = o.size;
  auto& c = out->consumers;
  const std::string noWrite = "read-only: the write consumers run only with --write (they overwrite the first " + std::to_string(n) + " bytes)";

  // The block device
  if (o.blockDevice.empty()) {
    c.push_back(Skipped("odirect-read-block", "no block device given (--device /dev/...)"));
    c.push_back(Skipped("odirect-write-block", "no block device given (--device /dev/...)"));
  } else {
    c.push_back(ODirectRead("odirect-read-block", o.blockDevice, m, n));
    c.push_back(o.write ? ODirectWrite("odirect-write-block", o.blockDevice, m, n, o.seed) : Skipped("odirect-write-block", noWrite));
  }
  // A scratch file in the directory
  ScratchFile file;
  std::string fileWhy = o.fileDir.empty() ? "no directory given (--file DIR)" : file.Create(o.fileDir, n, o.seed);
  if (!fileWhy.empty()) {
    c.push_back(Skipped("odirect-read-file", fileWhy));
    c.push_back(Skipped("odirect-write-file", fileWhy));
  } else {
    c.push_back(ODirectRead("odirect-read-file", file.path(), m, n));
    c.push_back(o.write ? ODirectWrite("odirect-write-file", file.path(), m, n, o.seed) : Skipped("odirect-write-file", noWrite));
  }
  // io_uring reads from the block device, else the scratch file
  const std::string src = !o.blockDevice.empty() ? o.blockDevice : (fileWhy.empty() ? file.path() : "");
  if (src.empty()) {
    c.push_back(Skipped("io_uring-read", "nothing to read from (--device or --file)"));
    c.push_back(Skipped("io_uring-read-fixed", "nothing to read from (--device or --file)"));
  } else {
    c.push_back(UringRead("io_uring-read", src, m, n, false));
    c.push_back(UringRead("io_uring-read-fixed", src, m, n, true));
  }
  c.push_back(Vmsplice(m, n, o.seed));
  c.push_back(RdmaRegister(o, m, n, false));
  c.push_back(RdmaRegister(o, m, n, true));
  c.push_back(V4l2Queue(o, m, false));
  c.push_back(V4l2Queue(o, m, true));
  return true;
}

// ---- N-API ----

namespace {

std::string OptString(Napi::Env env, const Napi::Object& o, const char* key, const std::string& dflt = "") {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string("option ") + key + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(env, std::string("option ") + key + " contains a NUL byte");
  return s;
}

}  // namespace

Napi::Value ProbePeerMemoryJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "probePeerMemory(options: object)");
  Napi::Object a = info[0].As<Napi::Object>();
  ProbeOptions o;
  std::string kind = OptString(env, a, "kind");
  if (kind == "host") o.kind = PeerKind::Host;
  else if (kind == "p2pmem") o.kind = PeerKind::P2pmem;
  else if (kind == "dax") o.kind = PeerKind::Dax;
  else if (kind == "udmabuf") o.kind = PeerKind::Udmabuf;
  else throw Napi::TypeError::New(env, "option kind must be 'host', 'p2pmem', 'dax' or 'udmabuf'");
  o.path = OptString(env, a, "path");
  if ((o.kind == PeerKind::P2pmem || o.kind == PeerKind::Dax) && o.path.empty())
    throw Napi::TypeError::New(env, "option path is required for p2pmem and dax");
  o.size = static_cast<size_t>(GetUint(env, a.Get("size"), "option size", 4096, 1ull << 30));
  if (o.size % 4096) throw Napi::TypeError::New(env, "option size must be a multiple of 4096");
  o.blockDevice = OptString(env, a, "blockDevice");
  o.fileDir = OptString(env, a, "fileDir");
  o.rdmaDevice = OptString(env, a, "rdmaDevice");
  o.ibverbsLib = OptString(env, a, "ibverbsLib", o.ibverbsLib);
  o.videoDevice = OptString(env, a, "videoDevice");
  Napi::Value w = a.Get("write");
  if (!w.IsUndefined()) {
    if (!w.IsBoolean()) throw Napi::TypeError::New(env, "option write must be a boolean");
    o.write = w.As<Napi::Boolean>().Value();
  }
  ProbeResult r;
  PeerMemoryError pe;
  if (!RunProbe(o, &r, &pe)) {
    Napi::Error e = Napi::Error::New(env, pe.message);
    if (pe.err) e.Set("code", Napi::String::New(env, ErrnoName(pe.err)));
    throw e;
  }
  Napi::Object res = Napi::Object::New(env);
  Napi::Object prov = Napi::Object::New(env);
  prov.Set("kind", kind);
  prov.Set("what", r.what);
  prov.Set("mappedBytes", static_cast<double>(r.mapped));
  prov.Set("align", static_cast<double>(r.align));
  prov.Set("dmabuf", r.dmabuf);
  res.Set("provider", prov);
  Napi::Array list = Napi::Array::New(env, r.consumers.size());
  for (size_t i = 0; i < r.consumers.size(); i++) {
    const ConsumerResult& c = r.consumers[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("consumer", c.consumer);
    x.Set("outcome", c.outcome);
    x.Set("errno", c.errnoName.empty() ? env.Null() : Napi::String::New(env, c.errnoName));
    x.Set("bytesVerified", static_cast<double>(c.bytesVerified));
    x.Set("call", c.call.empty() ? env.Null() : Napi::String::New(env, c.call));
    x.Set("detail", c.detail);
    list.Set(static_cast<uint32_t>(i), x);
  }
  res.Set("consumers", list);
  return res;
}

}  // namespace p2p
