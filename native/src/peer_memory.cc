#include "peer_memory.h"

#include <fcntl.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace p2p {

size_t PageRound(size_t n) {
  long ps = sysconf(_SC_PAGESIZE);
  size_t p = ps > 0 ? static_cast<size_t>(ps) : 4096u;
  return (n + p - 1) / p * p;
}

Mapping::~Mapping() {
  if (p_) munmap(p_, len_);
}

bool Mapping::MapAnon(size_t len, int* err) {
  constexpr size_t kHuge = 2u << 20;
  const char* noThp = std::getenv("P2P_NO_THP");  // for like-for-like comparisons with tools that use 4K pages
  const bool huge = len >= kHuge && !(noThp && std::strcmp(noThp, "1") == 0);
  if (huge) len = (len + kHuge - 1) / kHuge * kHuge;
  const size_t mapLen = huge ? len + kHuge : len;
  void* p = mmap(nullptr, mapLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { *err = errno; return false; }
  uint8_t* base = static_cast<uint8_t*>(p);
  if (huge) {
    uintptr_t a = (reinterpret_cast<uintptr_t>(base) + kHuge - 1) & ~static_cast<uintptr_t>(kHuge - 1);
    uint8_t* aligned = reinterpret_cast<uint8_t*>(a);
    size_t head = static_cast<size_t>(aligned - base);
    size_t tail = mapLen - head - len;
    if ((head && munmap(base, head) != 0) || (tail && munmap(aligned + len, tail) != 0)) {
      *err = errno;
      munmap(base, mapLen);  // the part not yet unmapped; EINVAL on holes is harmless
      return false;
    }
    base = aligned;
    // A hint: THP may be disabled ("never"); then plain pages are used.
    if (madvise(base, len, MADV_HUGEPAGE) != 0) { /* not fatal */ }
  }
  p_ = base;
  len_ = len;
  std::memset(p_, 0, len_);  // fault everything in now, outside the timed window
  return true;
}

bool Mapping::MapShared(int fd, size_t len, int* err) {
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) { *err = errno; return false; }
  p_ = static_cast<uint8_t*>(p);
  len_ = len;
  return true;
}

const char* PeerKindName(PeerKind k) {
  switch (k) {
    case PeerKind::Host: return "host";
    case PeerKind::P2pmem: return "p2pmem";
    case PeerKind::Dax: return "dax";
    case PeerKind::Udmabuf: return "udmabuf";
  }
  return "?";
}

namespace {

bool Fail(PeerMemoryError* e, int err, const char* op, const std::string& what) {
  e->err = err;
  e->message = ErrnoMessage(err, op, what);
  return false;
}

/** /dev/dax0.0 -> /sys/bus/dax/devices/dax0.0/align; 0 when it cannot be read. */
size_t DaxAlign(const std::string& devPath) {
  size_t slash = devPath.rfind('/');
  std::string name = slash == std::string::npos ? devPath : devPath.substr(slash + 1);
  std::ifstream f("/sys/bus/dax/devices/" + name + "/align");
  unsigned long long v = 0;
  if (!(f >> v)) return 0;
  return static_cast<size_t>(v);
}

}  // namespace

bool PeerMemory::Map(PeerKind kind, const std::string& path, size_t len, PeerMemoryError* e, bool udmabufMemfdView) {
  kind_ = kind;
  if (len == 0) { e->message = "nothing to map (0 bytes)"; return false; }
  switch (kind) {
    case PeerKind::Host: {
      what_ = "host memory";
      int err = 0;
      if (!m_.MapAnon(PageRound(len), &err)) return Fail(e, err, "mmap", "host buffer of " + std::to_string(len) + " bytes");
      return true;
    }
    case PeerKind::P2pmem:
      what_ = "p2pmem " + path;
      return MapFile(path, len, e);
    case PeerKind::Dax:
      what_ = "device-DAX " + path;
      return MapDax(path, len, e);
    case PeerKind::Udmabuf:
      what_ = "udmabuf " + (path.empty() ? std::string("/dev/udmabuf") : path) + (udmabufMemfdView ? " (its memfd pages)" : "");
      return MapUdmabuf(path.empty() ? "/dev/udmabuf" : path, len, udmabufMemfdView, e);
  }
  return false;
}

bool PeerMemory::MapFile(const std::string& path, size_t len, PeerMemoryError* e) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Fail(e, errno, "open", path);
  fd_.reset(fd);
  int err = 0;
  size_t n = PageRound(len);
  if (!m_.MapShared(fd_.get(), n, &err)) return Fail(e, err, "mmap", path + " (" + std::to_string(n) + " bytes of p2pmem)");
  return true;
}

bool PeerMemory::MapDax(const std::string& path, size_t len, PeerMemoryError* e) {
  // device-DAX refuses a mapping whose length is not a multiple of the device's align (EINVAL),
  // and places MAP_SHARED mappings at an aligned address itself.
  size_t a = DaxAlign(path);
  if (a == 0) a = 2u << 20;  // the usual devdax default when sysfs does not say
  align_ = a;
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Fail(e, errno, "open", path);
  fd_.reset(fd);
  int err = 0;
  size_t n = (len + a - 1) / a * a;
  if (!m_.MapShared(fd_.get(), n, &err))
    return Fail(e, err, "mmap", path + " (" + std::to_string(n) + " bytes, align " + std::to_string(a) + ")");
  return true;
}

bool PeerMemory::MapUdmabuf(const std::string& dev, size_t len, bool memfdView, PeerMemoryError* e) {
  size_t n = PageRound(len);
  int mfd = memfd_create("p2p-udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) return Fail(e, errno, "memfd_create", "for a udmabuf");
  fd_.reset(mfd);
  if (ftruncate(mfd, static_cast<off_t>(n)) != 0) return Fail(e, errno, "ftruncate", "memfd to " + std::to_string(n) + " bytes");
  // udmabuf insists that the memfd cannot shrink under the dma-buf (else EINVAL).
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) return Fail(e, errno, "fcntl F_ADD_SEALS", "F_SEAL_SHRINK on the memfd");
  int dfd = open(dev.c_str(), O_RDWR | O_CLOEXEC);
  if (dfd < 0) return Fail(e, errno, "open", dev);
  Fd devFd(dfd);
  udmabuf_create c;
  std::memset(&c, 0, sizeof c);
  c.memfd = static_cast<__u32>(mfd);
  c.flags = UDMABUF_FLAGS_CLOEXEC;
  c.offset = 0;
  c.size = n;
  int buf = ioctl(dfd, UDMABUF_CREATE, &c);
  if (buf < 0) return Fail(e, errno, "ioctl UDMABUF_CREATE", dev + " (" + std::to_string(n) + " bytes)");
  dmabuf_.reset(buf);
  int err = 0;
  if (memfdView) {
    if (!m_.MapShared(mfd, n, &err)) return Fail(e, err, "mmap", "the udmabuf's memfd (" + std::to_string(n) + " bytes)");
    std::memset(m_.data(), 0, n);  // fault the pages in outside any timed window
    return true;
  }
  if (!m_.MapShared(buf, n, &err)) return Fail(e, err, "mmap", "the udmabuf dma-buf (" + std::to_string(n) + " bytes)");
  return true;
}

}  // namespace p2p
