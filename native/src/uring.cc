#include "uring.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

namespace p2p {

static int SysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}
static int SysEnter(int fd, unsigned toSubmit, unsigned minComplete, unsigned flags) {
  return static_cast<int>(syscall(__NR_io_uring_enter, fd, toSubmit, minComplete, flags, nullptr, 0));
}
static int SysRegister(int fd, unsigned op, const void* arg, unsigned nr) {
  return static_cast<int>(syscall(__NR_io_uring_register, fd, op, arg, nr));
}

Ring::~Ring() {
  if (sqes_) munmap(sqes_, sqesSize_);
  if (cqRing_ && cqRing_ != sqRing_) munmap(cqRing_, cqRingSize_);
  if (sqRing_) munmap(sqRing_, sqRingSize_);
  if (fd_ >= 0) close(fd_);
}

bool Ring::Init(unsigned entries, int* err, std::string* msg) {
  const char* sim = std::getenv("P2P_IO_URING_DISABLE");
  if (sim && std::strcmp(sim, "1") == 0) {
    *err = EPERM;
    *msg = "io_uring_setup: EPERM (simulated by P2P_IO_URING_DISABLE=1)";
    return false;
  }
  // Completions are reaped only by this thread, inside io_uring_enter(GETEVENTS): the kernel need not
  // interrupt it to run completion work (COOP_TASKRUN, 5.19+; SINGLE_ISSUER, 6.0+). DEFER_TASKRUN was
  // measured too (bench/RESULTS-bench.md) and was not faster here. Older kernels refuse unknown flags
  // with EINVAL: retry with fewer.
  static const unsigned kFlagSets[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  // P2P_URING_SETUP_FLAGS=0 (or another number) pins the setup flags, for experiments.
  const char* forced = std::getenv("P2P_URING_SETUP_FLAGS");
  const unsigned forcedFlags = forced ? static_cast<unsigned>(std::strtoul(forced, nullptr, 0)) : 0;
  io_uring_params p;
  int fd = -1;
  for (unsigned flags : kFlagSets) {
    if (forced) flags = forcedFlags;
    std::memset(&p, 0, sizeof p);
    p.flags = flags;
    fd = SysSetup(entries, &p);
    if (fd >= 0 || errno != EINVAL || forced) break;
  }
  if (fd < 0) {
    *err = errno;
    *msg = ErrnoMessage(*err, "io_uring_setup", "");
    return false;
  }
  fd_ = fd;
  sqEntries_ = p.sq_entries;
  sqRingSize_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cqRingSize_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) {
    if (cqRingSize_ > sqRingSize_) sqRingSize_ = cqRingSize_;
    cqRingSize_ = sqRingSize_;
  }
  void* sq = mmap(nullptr, sqRingSize_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) {
    *err = errno;
    *msg = ErrnoMessage(*err, "mmap", "io_uring SQ ring");
    return false;
  }
  sqRing_ = sq;
  if (single) {
    cqRing_ = sqRing_;
  } else {
    void* cq = mmap(nullptr, cqRingSize_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) {
      *err = errno;
      *msg = ErrnoMessage(*err, "mmap", "io_uring CQ ring");
      return false;
    }
    cqRing_ = cq;
  }
  sqesSize_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqesSize_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    *err = errno;
    *msg = ErrnoMessage(*err, "mmap", "io_uring SQEs");
    return false;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);
  auto* sqb = static_cast<char*>(sqRing_);
  sqHead_ = reinterpret_cast<unsigned*>(sqb + p.sq_off.head);
  sqTail_ = reinterpret_cast<unsigned*>(sqb + p.sq_off.tail);
  sqMask_ = reinterpret_cast<unsigned*>(sqb + p.sq_off.ring_mask);
  sqArray_ = reinterpret_cast<unsigned*>(sqb + p.sq_off.array);
  auto* cqb = static_cast<char*>(cqRing_);
  cqHead_ = reinterpret_cast<unsigned*>(cqb + p.cq_off.head);
  cqTail_ = reinterpret_cast<unsigned*>(cqb + p.cq_off.tail);
  cqMask_ = reinterpret_cast<unsigned*>(cqb + p.cq_off.ring_mask);
  cqes_ = reinterpret_cast<io_uring_cqe*>(cqb + p.cq_off.cqes);
  sqTailLocal_ = *sqTail_;
  sqSubmitted_ = sqTailLocal_;
  return true;
}

bool Ring::RegisterBuffers(const std::vector<iovec>& iov, int* err) {
  if (SysRegister(fd_, IORING_REGISTER_BUFFERS, iov.data(), static_cast<unsigned>(iov.size())) < 0) {
    *err = errno;
    return false;
  }
  return true;
}

io_uring_sqe* Ring::GetSqe() {
  unsigned head = __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE);
  if (sqTailLocal_ - head >= sqEntries_) return nullptr;
  unsigned idx = sqTailLocal_ & *sqMask_;
  io_uring_sqe* sqe = &sqes_[idx];
  std::memset(sqe, 0, sizeof *sqe);
  sqArray_[idx] = idx;
  ++sqTailLocal_;
  return sqe;
}

int Ring::SubmitAndWait(unsigned waitFor) {
  unsigned toSubmit = sqTailLocal_ - sqSubmitted_;
  __atomic_store_n(sqTail_, sqTailLocal_, __ATOMIC_RELEASE);
  for (;;) {
    int r = SysEnter(fd_, toSubmit, waitFor, waitFor ? IORING_ENTER_GETEVENTS : 0);
    if (r < 0) {
      if (errno == EINTR) {
        // Whatever was consumed before the signal stays consumed; only wait again.
        continue;
      }
      return -errno;
    }
    sqSubmitted_ += static_cast<unsigned>(r);
    return r;
  }
}

bool ProbeIoUring(std::string* reason) {
  Ring r;
  int err = 0;
  std::string msg;
  if (!r.Init(4, &err, &msg)) {
    *reason = msg;
    return false;
  }
  return true;
}

}  // namespace p2p
