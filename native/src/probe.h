// `p2p probe`: map peer memory once (peer_memory.h) and ask each DMA consumer the kernel has whether
// it will take that memory: O_DIRECT, io_uring (plain and registered buffers), vmsplice, RDMA memory
// registration (libibverbs by dlopen), V4L2 USERPTR/DMABUF. Every answer is the kernel's own.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "peer_memory.h"

namespace p2p {

struct ProbeOptions {
  PeerKind kind = PeerKind::Host;
  std::string path;          // p2pmem allocate file, /dev/daxX.Y, or the udmabuf device ("" = /dev/udmabuf)
  size_t size = 1u << 20;    // bytes each consumer moves
  std::string blockDevice;   // O_DIRECT / io_uring source (empty: skipped)
  std::string fileDir;       // a directory for one scratch file (empty: skipped)
  std::string rdmaDevice;    // ibv device name (empty: skipped)
  std::string ibverbsLib = "libibverbs.so.1";
  std::string videoDevice;   // /dev/videoN (empty: skipped)
  bool write = false;        // allow the write consumers (they overwrite the first `size` bytes)
  uint64_t seed = 1;
};

struct ConsumerResult {
  std::string consumer;
  /** accepted (bytes verified where bytes can move), refused (the kernel's errno), mismatch (success
   *  but other bytes: the data went elsewhere), skipped (not asked: no input, library missing). */
  std::string outcome;
  std::string errnoName;     // refused: the kernel's errno name
  uint64_t bytesVerified = 0;
  std::string call;          // the call that answered ("pread O_DIRECT", "ibv_reg_mr"...)
  std::string detail;
};

struct ProbeResult {
  std::string what;
  size_t mapped = 0;
  size_t align = 0;
  bool dmabuf = false;
  std::vector<ConsumerResult> consumers;
};

/** Map the memory, then ask every consumer. False (with *err) only when the memory cannot be mapped. */
bool RunProbe(const ProbeOptions& o, ProbeResult* out, PeerMemoryError* err);

Napi::Value ProbePeerMemoryJs(const Napi::CallbackInfo& info);

}  // namespace p2p
