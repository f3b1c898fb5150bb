// One sysfs directory per call: open it once, then openat/readlinkat every name relative to it, so a
// PCI function costs one trip into C++ and no per-file path walk from the root. Missing files are not
// errors here (null), because most attributes are optional; only bad arguments throw.
#include "sysfs_reader.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "config_space.h"
#include "util.h"

namespace p2p {

namespace {

// Sysfs attributes are at most a page; 64 KiB also covers procfs-sized files in captured trees.
constexpr size_t kAttrCap = 64 * 1024;

char* ScratchBuffer() {
  // One per thread: worker threads may load the addon too.
  thread_local std::vector<char> buf(kAttrCap);
  return buf.data();
}

int OpenAtRetry(int dirfd, const char* name, int flags) {
  int fd;
  do {
    fd = openat(dirfd, name, flags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

/** Reads one attribute into buf; -1 when it cannot be opened or read. A short read ends it (sysfs). */
ssize_t ReadAttrAt(int dirfd, const char* name, char* buf) {
  int fd = OpenAtRetry(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  Fd guard(fd);
  size_t got = 0;
  while (got < kAttrCap) {
    const size_t asked = kAttrCap - got;
    ssize_t n = read(fd, buf + got, asked);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;  // like a failed open: partial attribute text is not trusted
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    // sysfs hands out the whole attribute in the first read; asking again only costs a syscall.
    if (static_cast<size_t>(n) < asked) break;
  }
  return static_cast<ssize_t>(got);
}

/** Latin-1 keeps every byte as one char, like Buffer#toString('latin1') does in the fs fallback. */
Napi::Value Latin1(Napi::Env env, const char* s, size_t len) {
  napi_value v;
  napi_status st = napi_create_string_latin1(env, s, len, &v);
  NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  return Napi::Value(env, v);
}

/** The names in a JS string array; TypeError naming the argument when it is not one. */
void GetNames(Napi::Env env, const Napi::Value& v, const char* what, std::vector<std::string>& out) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string("readSysfsDir: ") + what + " must be an array of strings");
  Napi::Array arr = v.As<Napi::Array>();
  const uint32_t n = arr.Length();
  out.resize(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value item = arr.Get(i);
    if (!item.IsString()) {
      throw Napi::TypeError::New(env, std::string("readSysfsDir: ") + what + "[" + std::to_string(i) + "] must be a string");
    }
    out[i] = item.As<Napi::String>().Utf8Value();
    if (out[i].find('\0') != std::string::npos) {
      throw Napi::TypeError::New(env, std::string("readSysfsDir: ") + what + "[" + std::to_string(i) + "] contains a NUL");
    }
  }
}

}  // namespace

Napi::Value ReadSysfsDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[3].IsNumber()) {
    throw Napi::TypeError::New(env, "readSysfsDir(dir: string, files: string[], links: string[], configMax: number): bad arguments");
  }
  const std::string dir = info[0].As<Napi::String>().Utf8Value();
  if (dir.empty() || dir.find('\0') != std::string::npos) {
    throw Napi::TypeError::New(env, "readSysfsDir: dir must be a non-empty string without NUL");
  }
  std::vector<std::string> files;
  std::vector<std::string> links;
  GetNames(env, info[1], "files", files);
  GetNames(env, info[2], "links", links);
  const double maxD = info[3].As<Napi::Number>().DoubleValue();
  if (!(maxD >= 0) || maxD > kMaxConfigBytes || maxD != static_cast<double>(static_cast<uint32_t>(maxD))) {
    throw Napi::TypeError::New(env, "readSysfsDir: configMax must be an integer between 0 and 1048576");
  }
  const size_t configMax = static_cast<size_t>(maxD);

  // O_RDONLY rather than O_PATH: it needs the same read permission as listing the directory did,
  // so a directory the caller may not list is still reported (EACCES) instead of half-read.
  int dirfd = OpenAtRetry(AT_FDCWD, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    const char* code = ErrnoName(errno);
    Napi::Object failed = Napi::Object::New(env);
    failed.Set("error", Napi::String::New(env, code));
    return failed;
  }
  Fd dirGuard(dirfd);
  char* buf = ScratchBuffer();

  Napi::Array fileOut = Napi::Array::New(env, files.size());
  for (size_t i = 0; i < files.size(); i++) {
    ssize_t n = ReadAttrAt(dirfd, files[i].c_str(), buf);
    fileOut.Set(static_cast<uint32_t>(i), n < 0 ? env.Null() : Latin1(env, buf, static_cast<size_t>(n)));
  }

  Napi::Array linkOut = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); i++) {
    const ssize_t n = readlinkat(dirfd, links[i].c_str(), buf, kAttrCap);
    const int e = n < 0 ? errno : 0;
    Napi::Value v;
    if (n >= 0) v = Napi::String::New(env, buf, static_cast<size_t>(n));
    // EINVAL: the name exists but is not a symlink. "" says so (no symlink has an empty target).
    else if (e == EINVAL) v = Napi::String::New(env, "");
    else v = env.Null();
    linkOut.Set(static_cast<uint32_t>(i), v);
  }

  Napi::Value config = env.Null();
  size_t configLength = 0;
  std::string configError;
  if (configMax > 0) {
    int cfd = OpenAtRetry(dirfd, "config", O_RDONLY | O_CLOEXEC);
    if (cfd < 0) {
      const int e = errno;
      // No config file is normal (not a PCI function); a config entry that cannot be opened (even a
      // dangling link: ENOENT with the name present) is worth a warning to the caller.
      struct stat st;
      if (e != ENOENT || fstatat(dirfd, "config", &st, AT_SYMLINK_NOFOLLOW) == 0) configError = ErrnoText(e);
    } else {
      Fd cfgGuard(cfd);
      thread_local std::vector<uint8_t> cfgBuf;
      if (cfgBuf.size() < configMax) cfgBuf.resize(configMax);
      int readErrno = 0;
      configLength = ReadConfigBytes(cfd, cfgBuf.data(), configMax, &readErrno);
      Napi::Uint8Array arr = Napi::Uint8Array::New(env, configLength);
      if (configLength > 0) std::memcpy(arr.Data(), cfgBuf.data(), configLength);
      config = arr;
      if (readErrno != 0) configError = ErrnoText(readErrno);
    }
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("files", fileOut);
  out.Set("links", linkOut);
  out.Set("config", config);
  out.Set("configLength", Napi::Number::New(env, static_cast<double>(configLength)));
  if (!configError.empty()) out.Set("configError", Napi::String::New(env, configError));
  return out;
}

}  // namespace p2p
