// One home for mapping memory that a device will be asked to DMA into: plain host memory, a p2pmem
// allocation (/sys/bus/pci/devices/BDF/p2pmem/allocate), a device-DAX device (/dev/daxX.Y) and a
// udmabuf (a sealed memfd turned into a dma-buf by /dev/udmabuf). The bench engine and the probe
// both map through here, so a kind of peer memory is set up one way only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "util.h"

namespace p2p {

/** n rounded up to the page size. */
size_t PageRound(size_t n);

/** Anonymous, page-aligned host memory (the bench's host buffers and staging) or a shared mapping of an fd. */
class Mapping {
 public:
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();
  /** Private anonymous memory, populated. Buffers of 2 MiB or more are 2 MiB-aligned and asked for
   *  transparent huge pages: fewer pages to pin per O_DIRECT request and fewer DMA segments. */
  bool MapAnon(size_t len, int* err);
  bool MapShared(int fd, size_t len, int* err);
  uint8_t* data() const { return p_; }
  size_t size() const { return len_; }

 private:
  uint8_t* p_ = nullptr;
  size_t len_ = 0;
};

enum class PeerKind { Host, P2pmem, Dax, Udmabuf };

/** Why a mapping could not be made: the errno (0 when not an OS error) and what was attempted. */
struct PeerMemoryError {
  int err = 0;
  std::string message;
};

/** One mapped region of peer (or host) memory, unmapped and closed when destroyed. */
class PeerMemory {
 public:
  PeerMemory() = default;
  PeerMemory(const PeerMemory&) = delete;
  PeerMemory& operator=(const PeerMemory&) = delete;

  /** Map at least `len` bytes of `kind`: `path` is the p2pmem allocate file or the /dev/daxX.Y node
   *  (ignored for host; for udmabuf the udmabuf device, "" meaning /dev/udmabuf). A udmabuf is mapped
   *  through its dma-buf fd (what a dma-buf importer's user sees; on 6.12 a PFN map, so get_user_pages
   *  refuses it), or with `udmabufMemfdView` through the memfd whose pages it exports (struct pages:
   *  the host-memory control the bench reads into). */
  bool Map(PeerKind kind, const std::string& path, size_t len, PeerMemoryError* e, bool udmabufMemfdView = false);

  uint8_t* data() const { return m_.data(); }
  /** Bytes mapped: `len` rounded up to the page (or the DAX device's alignment). */
  size_t size() const { return m_.size(); }
  PeerKind kind() const { return kind_; }
  /** The dma-buf fd of a udmabuf (-1 for the other kinds): what DMA_BUF importers take. */
  int dmabufFd() const { return dmabuf_.get(); }
  /** The granule the mapping was rounded to (page size, or the DAX device's align). */
  size_t align() const { return align_; }
  /** What was mapped, for messages: "p2pmem /sys/.../allocate", "device-DAX /dev/dax0.0"... */
  const std::string& what() const { return what_; }

 private:
  bool MapFile(const std::string& path, size_t len, PeerMemoryError* e);
  bool MapDax(const std::string& path, size_t len, PeerMemoryError* e);
  bool MapUdmabuf(const std::string& dev, size_t len, bool memfdView, PeerMemoryError* e);

  PeerKind kind_ = PeerKind::Host;
  size_t align_ = 4096;
  std::string what_;
  Fd fd_;        // the p2pmem allocate file, the DAX node, or the udmabuf's memfd
  Fd dmabuf_;    // udmabuf only
  Mapping m_;    // declared last: unmapped before the fds close
};

/** "host", "p2pmem", "dax", "udmabuf". */
const char* PeerKindName(PeerKind k);

}  // namespace p2p
