// A minimal io_uring ring over the raw system calls (no liburing): setup, register buffers,
// queue SQEs, submit-and-wait, reap CQEs. One ring per I/O thread (single issuer).
#pragma once
#include <linux/io_uring.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace p2p {

class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring();

  /** io_uring_setup + the three mmaps. On failure returns false with errno in *err and a message. */
  bool Init(unsigned entries, int* err, std::string* msg);
  /** IORING_REGISTER_BUFFERS; false with errno on refusal (the caller falls back to plain ops). */
  bool RegisterBuffers(const std::vector<iovec>& iov, int* err);
  /** Next free SQE or nullptr when the submission queue is full. The SQE is zeroed. */
  io_uring_sqe* GetSqe();
  /** Publish queued SQEs and enter the kernel; waits for at least `waitFor` completions. Returns
   *  the number submitted or -errno. */
  int SubmitAndWait(unsigned waitFor);
  /** Calls fn(cqe) for every available completion, then frees them; returns how many. */
  template <typename Fn>
  unsigned Reap(Fn&& fn) {
    unsigned head = *cqHead_;
    unsigned tail = __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    while (head != tail) {
      fn(cqes_[head & *cqMask_]);
      ++head;
      ++n;
    }
    if (n) __atomic_store_n(cqHead_, head, __ATOMIC_RELEASE);
    return n;
  }
  unsigned Pending() const { return sqTailLocal_ - sqSubmitted_; }
  unsigned SqEntries() const { return sqEntries_; }

 private:
  int fd_ = -1;
  void* sqRing_ = nullptr;
  size_t sqRingSize_ = 0;
  void* cqRing_ = nullptr;  // == sqRing_ with IORING_FEAT_SINGLE_MMAP
  size_t cqRingSize_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqesSize_ = 0;
  unsigned sqEntries_ = 0;
  // SQ ring pointers
  unsigned* sqHead_ = nullptr;
  unsigned* sqTail_ = nullptr;
  unsigned* sqMask_ = nullptr;
  unsigned* sqArray_ = nullptr;
  // CQ ring pointers
  unsigned* cqHead_ = nullptr;
  unsigned* cqTail_ = nullptr;
  unsigned* cqMask_ = nullptr;
  io_uring_cqe* cqes_ = nullptr;
  unsigned sqTailLocal_ = 0;
  unsigned sqSubmitted_ = 0;
};

/** Can this process create an io_uring? (P2P_IO_URING_DISABLE=1 simulates a refusal.) */
bool ProbeIoUring(std::string* reason);

}  // namespace p2p
