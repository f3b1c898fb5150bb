#include "util.h"

#include <cmath>
#include <cstring>

namespace p2p {

const char* ErrnoName(int e) {
  switch (e) {
#define P2P_E(x) case x: return #x;
    P2P_E(EPERM) P2P_E(ENOENT) P2P_E(EINTR) P2P_E(EIO) P2P_E(ENXIO) P2P_E(EBADF) P2P_E(EAGAIN)
    P2P_E(ENOMEM) P2P_E(EACCES) P2P_E(EFAULT) P2P_E(EBUSY) P2P_E(EEXIST) P2P_E(ENODEV)
    P2P_E(ENOTDIR) P2P_E(EISDIR) P2P_E(EINVAL) P2P_E(EMFILE) P2P_E(ENFILE) P2P_E(ENOSPC)
    P2P_E(EROFS) P2P_E(ERANGE) P2P_E(ENOSYS) P2P_E(EOPNOTSUPP) P2P_E(EREMOTEIO) P2P_E(ECANCELED)
    P2P_E(ETIMEDOUT) P2P_E(EOVERFLOW) P2P_E(E2BIG) P2P_E(ESPIPE) P2P_E(ENAMETOOLONG) P2P_E(ELOOP)
    P2P_E(ENOTTY)  // an ioctl the file does not know (a path that is not the driver asked for)
    P2P_E(EXDEV) P2P_E(EPIPE) P2P_E(ENOTBLK) P2P_E(EPROTONOSUPPORT)
#undef P2P_E
    default: {
      static thread_local char buf[16];
      std::snprintf(buf, sizeof buf, "E%d", e);
      return buf;
    }
  }
}

std::string ErrnoText(int e) { return std::string(ErrnoName(e)) + ": " + std::strerror(e); }

std::string ErrnoMessage(int e, const char* op, const std::string& what) {
  std::string m = op;
  if (!what.empty()) m += " " + what;
  m += ": ";
  m += ErrnoName(e);
  m += " (";
  m += std::strerror(e);
  m += ")";
  return m;
}

Napi::Error ErrnoError(Napi::Env env, int e, const char* op, const std::string& what) {
  Napi::Error err = Napi::Error::New(env, ErrnoMessage(e, op, what));
  err.Set("code", Napi::String::New(env, ErrnoName(e)));
  err.Set("errno", Napi::Number::New(env, e));
  err.Set("syscall", Napi::String::New(env, op));
  if (!what.empty()) err.Set("path", Napi::String::New(env, what));
  return err;
}

uint64_t GetUint(Napi::Env env, const Napi::Value& v, const char* what, uint64_t lo, uint64_t hi) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d > 9007199254740991.0) {
    throw Napi::TypeError::New(env, std::string(what) + " must be a non-negative integer");
  }
  uint64_t u = static_cast<uint64_t>(d);
  if (u < lo || u > hi) {
    throw Napi::TypeError::New(env, std::string(what) + " must be between " + std::to_string(lo) +
                                        " and " + std::to_string(hi));
  }
  return u;
}

}  // namespace p2p
