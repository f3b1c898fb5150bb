// sysfs `config` reads: a non-root reader gets only the first 64 bytes (the kernel returns a short
// read / EOF there), so we pread until EOF, a short read or an error, and report the real count.
#include "config_space.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "util.h"

namespace p2p {

size_t ReadConfigBytes(int fd, uint8_t* buf, size_t maxBytes, int* readErrno) {
  size_t got = 0;
  *readErrno = 0;
  while (got < maxBytes) {
    ssize_t n = pread(fd, buf + got, maxBytes - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      *readErrno = errno;  // keep what was read before the error
      break;
    }
    if (n == 0) break;  // EOF
    const size_t asked = maxBytes - got;
    got += static_cast<size_t>(n);
    // A short read from sysfs config means "that is all you may see" (non-root: 64 bytes).
    if (static_cast<size_t>(n) < asked) break;
  }
  return got;
}

Napi::Value ReadConfigSpace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "readConfigSpace(path: string, maxBytes: number): bad arguments");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  double maxD = info[1].As<Napi::Number>().DoubleValue();
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw Napi::TypeError::New(env, "readConfigSpace: path must be a non-empty string");
  }
  if (!(maxD >= 0) || maxD > kMaxConfigBytes || maxD != static_cast<double>(static_cast<uint32_t>(maxD))) {
    throw Napi::TypeError::New(env, "readConfigSpace: maxBytes must be an integer between 0 and 1048576");
  }
  const size_t maxBytes = static_cast<size_t>(maxD);

  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    throw ErrnoError(env, e, "open", path);
  }
  Fd guard(fd);
  std::vector<uint8_t> buf(maxBytes);
  int readErrno = 0;
  const size_t got = ReadConfigBytes(fd, buf.data(), maxBytes, &readErrno);
  Napi::Object out = Napi::Object::New(env);
  Napi::Uint8Array arr = Napi::Uint8Array::New(env, got);
  if (got > 0) std::memcpy(arr.Data(), buf.data(), got);
  out.Set("bytes", arr);
  out.Set("length", Napi::Number::New(env, static_cast<double>(got)));
  if (readErrno != 0) {
    out.Set("error", Napi::String::New(env, ErrnoText(readErrno)));
  }
  return out;
}

}  // namespace p2p
