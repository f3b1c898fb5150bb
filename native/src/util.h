// Small helpers shared by the addon's C++ files: fd ownership, errno names, argument checks.
#pragma once
#include <napi.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <unistd.h>

namespace p2p {

/** Owns one file descriptor; closes it exactly once. */
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) { reset(); fd_ = o.fd_; o.fd_ = -1; }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);  // close errors on read-only fds carry no data loss
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

/** "ENOENT", "EACCES"... (falls back to "E<number>"). */
const char* ErrnoName(int e);
/** "EACCES: Permission denied": the errno name, then strerror. */
std::string ErrnoText(int e);
/** "open /path: ENOENT (No such file or directory)". */
std::string ErrnoMessage(int e, const char* op, const std::string& what);
/** A JS Error whose message is ErrnoMessage and whose .code is the errno name, .errno the number. */
Napi::Error ErrnoError(Napi::Env env, int e, const char* op, const std::string& what);

/** Integer-valued JS number within [lo, hi]; throws TypeError naming `what` otherwise. */
uint64_t GetUint(Napi::Env env, const Napi::Value& v, const char* what, uint64_t lo, uint64_t hi);

}  // namespace p2p
