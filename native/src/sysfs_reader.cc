// Sysfs directories in batches: each is opened once and every name is read with openat/readlinkat
// relative to it (no per-file path walk from the root); a whole scan's directories go in one JS -> C++
// call whose syscalls run on a few threads. Missing files are not errors here (null), because most
// attributes are optional; only bad arguments throw.
#include "sysfs_reader.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

#include "config_space.h"
#include "util.h"

namespace p2p {

namespace {

// Sysfs attributes are at most a page; 64 KiB also covers procfs-sized files in captured trees.
constexpr size_t kAttrCap = 64 * 1024;

char* ScratchBuffer() {
  // One per thread: batches read on several threads, and worker threads may load the addon too.
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

// Past a few threads the kernel's own locks, not CPUs, bound a sysfs walk; and a thread costs tens of
// microseconds to start, so each one should have a few dozen directories (~50 us each) to read, or a
// few hundred links (~4 us each).
constexpr size_t kMaxAutoThreads = 4;
constexpr size_t kDirsPerThread = 32;
constexpr size_t kLinksPerThread = 256;
constexpr uint32_t kMaxAskedThreads = 64;

size_t ThreadsFor(size_t items, size_t perThread, uint32_t asked) {
  if (asked > 0) return std::max<size_t>(1, std::min<size_t>(asked, items));
  const size_t cpus = std::max(1u, std::thread::hardware_concurrency());
  const size_t byWork = (items + perThread - 1) / perThread;
  return std::max<size_t>(1, std::min({cpus, kMaxAutoThreads, byWork}));
}

/**
 * Runs fn(i) for every i < n on `threads` threads (the calling one included), each taking the next
 * index; rethrows a worker's failure (out of memory) once every thread has stopped.
 */
template <typename Fn>
void ParallelFor(size_t n, size_t threads, Fn fn) {
  std::atomic<size_t> next{0};
  std::mutex failMutex;
  std::exception_ptr failure;
  auto work = [&]() noexcept {
    try {
      for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < n; i = next.fetch_add(1, std::memory_order_relaxed)) fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failMutex);
      if (!failure) failure = std::current_exception();
      next.store(n, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> pool;
  if (threads > 1) pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; t++) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones running (and this one) still do every item
    }
  }
  work();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

/** What every directory of a call is asked for. */
struct DirRequest {
  std::vector<std::string> files;
  std::vector<std::string> links;
  size_t configMax = 0;
};

/** One directory's answer as plain C++ values: filled on any thread, made into JS on the JS thread. */
struct DirRead {
  int openErrno = 0;  // the directory itself did not open: nothing else is set
  std::vector<std::optional<std::string>> files;
  std::vector<std::optional<std::string>> links;  // "" when the name is there but not a symlink
  bool configOpened = false;
  std::vector<uint8_t> config;
  int configErrno = 0;  // a config open failure worth reporting, or the error that stopped the read
};

/**
 * All the syscalls for one directory; no N-API here, so it may run off the JS thread. `linkThreads`
 * splits the links over threads: for one directory asked for many (the bus's device links).
 */
void ReadDir(const char* dir, const DirRequest& req, DirRead& out, size_t linkThreads = 1) {
  // O_RDONLY rather than O_PATH: it needs the same read permission as listing the directory did,
  // so a directory the caller may not list is still reported (EACCES) instead of half-read.
  int dirfd = OpenAtRetry(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    out.openErrno = errno;
    return;
  }
  Fd dirGuard(dirfd);
  char* buf = ScratchBuffer();

  out.files.resize(req.files.size());
  for (size_t i = 0; i < req.files.size(); i++) {
    const ssize_t n = ReadAttrAt(dirfd, req.files[i].c_str(), buf);
    if (n >= 0) out.files[i].emplace(buf, static_cast<size_t>(n));
  }

  out.links.resize(req.links.size());
  ParallelFor(req.links.size(), linkThreads, [&](size_t i) {
    char* linkBuf = ScratchBuffer();
    const ssize_t n = readlinkat(dirfd, req.links[i].c_str(), linkBuf, kAttrCap);
    if (n >= 0) out.links[i].emplace(linkBuf, static_cast<size_t>(n));
    // EINVAL: the name exists but is not a symlink. "" says so (no symlink has an empty target).
    else if (errno == EINVAL) out.links[i].emplace();
  });

  if (req.configMax == 0) return;
  int cfd = OpenAtRetry(dirfd, "config", O_RDONLY | O_CLOEXEC);
  if (cfd < 0) {
    const int e = errno;
    // No config file is normal (not a PCI function); a config entry that cannot be opened (even a
    // dangling link: ENOENT with the name present) is worth a warning to the caller.
    struct stat st;
    if (e != ENOENT || fstatat(dirfd, "config", &st, AT_SYMLINK_NOFOLLOW) == 0) out.configErrno = e;
    return;
  }
  Fd cfgGuard(cfd);
  thread_local std::vector<uint8_t> cfgBuf;
  if (cfgBuf.size() < req.configMax) cfgBuf.resize(req.configMax);
  const size_t got = ReadConfigBytes(cfd, cfgBuf.data(), req.configMax, &out.configErrno);
  out.configOpened = true;
  out.config.assign(cfgBuf.data(), cfgBuf.data() + got);
}

/** Latin-1 keeps every byte as one char, like Buffer#toString('latin1') does in the fs fallback. */
Napi::Value Latin1(Napi::Env env, const std::string& s) {
  napi_value v;
  napi_status st = napi_create_string_latin1(env, s.data(), s.size(), &v);
  NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  return Napi::Value(env, v);
}

/**
 * The JS answers for `reads`, in order (see sysfs_reader.h). Every opened config is a view into one
 * ArrayBuffer per call holding them all back to back: an ArrayBuffer costs V8 microseconds to make,
 * a view a fraction of that, and a scan makes thousands. For one directory the view spans the buffer.
 */
Napi::Array ToJs(Napi::Env env, const std::vector<DirRead>& reads) {
  const Napi::String kFiles = Napi::String::New(env, "files");
  const Napi::String kLinks = Napi::String::New(env, "links");
  const Napi::String kConfig = Napi::String::New(env, "config");
  const Napi::String kConfigLength = Napi::String::New(env, "configLength");
  const Napi::String kConfigError = Napi::String::New(env, "configError");
  const Napi::String kError = Napi::String::New(env, "error");

  size_t configBytes = 0;
  for (const DirRead& r : reads) configBytes += r.config.size();
  Napi::ArrayBuffer configs = Napi::ArrayBuffer::New(env, configBytes);
  uint8_t* configData = static_cast<uint8_t*>(configs.Data());
  size_t configAt = 0;

  Napi::Array out = Napi::Array::New(env, reads.size());
  for (size_t d = 0; d < reads.size(); d++) {
    const DirRead& r = reads[d];
    Napi::Object o = Napi::Object::New(env);
    out.Set(static_cast<uint32_t>(d), o);
    if (r.openErrno != 0) {
      o.Set(kError, Napi::String::New(env, ErrnoName(r.openErrno)));
      continue;
    }
    Napi::Array files = Napi::Array::New(env, r.files.size());
    for (size_t i = 0; i < r.files.size(); i++) {
      files.Set(static_cast<uint32_t>(i), r.files[i] ? Latin1(env, *r.files[i]) : env.Null());
    }
    Napi::Array links = Napi::Array::New(env, r.links.size());
    for (size_t i = 0; i < r.links.size(); i++) {
      links.Set(static_cast<uint32_t>(i), r.links[i] ? Napi::String::New(env, *r.links[i]) : env.Null());
    }
    Napi::Value config = env.Null();
    if (r.configOpened) {
      if (!r.config.empty()) std::memcpy(configData + configAt, r.config.data(), r.config.size());
      config = Napi::Uint8Array::New(env, r.config.size(), configs, configAt);
      configAt += r.config.size();
    }
    o.Set(kFiles, files);
    o.Set(kLinks, links);
    o.Set(kConfig, config);
    o.Set(kConfigLength, Napi::Number::New(env, static_cast<double>(r.config.size())));
    if (r.configErrno != 0) o.Set(kConfigError, Napi::String::New(env, ErrnoText(r.configErrno)));
  }
  return out;
}

/** Whether `v` is a JS string usable as a path (non-empty, no NUL); it goes to `out`. */
bool GetDir(const Napi::Value& v, std::string& out) {
  if (!v.IsString()) return false;
  out = v.As<Napi::String>().Utf8Value();
  return !out.empty() && out.find('\0') == std::string::npos;
}

/** The names in a JS string array; TypeError naming the argument when it is not one. */
void GetNames(Napi::Env env, const Napi::Value& v, const std::string& what, std::vector<std::string>& out) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, what + " must be an array of strings");
  Napi::Array arr = v.As<Napi::Array>();
  const uint32_t n = arr.Length();
  out.resize(n);
  auto bad = [&](uint32_t i, const char* why) { return Napi::TypeError::New(env, what + "[" + std::to_string(i) + "] " + why); };
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value item = arr.Get(i);
    if (!item.IsString()) throw bad(i, "must be a string");
    out[i] = item.As<Napi::String>().Utf8Value();
    if (out[i].find('\0') != std::string::npos) throw bad(i, "contains a NUL");
  }
}

/** files, links and configMax from info[first..first+2], as both JS functions take them. */
DirRequest GetRequest(const Napi::CallbackInfo& info, size_t first, const std::string& fn) {
  Napi::Env env = info.Env();
  DirRequest req;
  GetNames(env, info[first], fn + ": files", req.files);
  GetNames(env, info[first + 1], fn + ": links", req.links);
  const Napi::Value max = info[first + 2];
  const double maxD = max.IsNumber() ? max.As<Napi::Number>().DoubleValue() : -1;
  if (!(maxD >= 0) || maxD > kMaxConfigBytes || maxD != static_cast<double>(static_cast<uint32_t>(maxD))) {
    throw Napi::TypeError::New(env, fn + ": configMax must be an integer between 0 and 1048576");
  }
  req.configMax = static_cast<size_t>(maxD);
  return req;
}

/**
 * out[i] for dirs[i], the directories on `threads` threads (or one directory's links on
 * `linkThreads`), with a C++ failure (out of memory) turned into a JS error from `fn`.
 */
std::vector<DirRead> ReadDirsOrThrow(Napi::Env env, const char* fn, const std::vector<std::string>& dirs, const DirRequest& req, size_t threads, size_t linkThreads = 1) {
  try {
    std::vector<DirRead> out(dirs.size());
    ParallelFor(dirs.size(), threads, [&](size_t i) { ReadDir(dirs[i].c_str(), req, out[i], linkThreads); });
    return out;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(fn) + ": " + e.what());
  }
}

}  // namespace

Napi::Value ReadSysfsDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4) {
    throw Napi::TypeError::New(env, "readSysfsDir(dir: string, files: string[], links: string[], configMax: number): bad arguments");
  }
  std::vector<std::string> dirs(1);
  if (!GetDir(info[0], dirs[0])) throw Napi::TypeError::New(env, "readSysfsDir: dir must be a non-empty string without NUL");
  const DirRequest req = GetRequest(info, 1, "readSysfsDir");
  const size_t linkThreads = ThreadsFor(req.links.size(), kLinksPerThread, 0);
  return ToJs(env, ReadDirsOrThrow(env, "readSysfsDir", dirs, req, 1, linkThreads)).Get(0u);
}

Napi::Value ReadSysfsDirs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsArray()) {
    throw Napi::TypeError::New(env, "readSysfsDirs(dirs: string[], files: string[], links: string[], configMax: number, threads?: number): bad arguments");
  }
  Napi::Array dirArr = info[0].As<Napi::Array>();
  std::vector<std::string> dirs(dirArr.Length());
  for (uint32_t i = 0; i < dirs.size(); i++) {
    if (!GetDir(dirArr.Get(i), dirs[i])) {
      throw Napi::TypeError::New(env, "readSysfsDirs: dirs[" + std::to_string(i) + "] must be a non-empty string without NUL");
    }
  }
  const DirRequest req = GetRequest(info, 1, "readSysfsDirs");
  uint32_t asked = 0;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    asked = static_cast<uint32_t>(GetUint(env, info[4], "readSysfsDirs: threads", 0, kMaxAskedThreads));
  }
  return ToJs(env, ReadDirsOrThrow(env, "readSysfsDirs", dirs, req, ThreadsFor(dirs.size(), kDirsPerThread, asked)));
}

namespace {

/** The Int32Array at info[i]; TypeError naming it otherwise. */
Napi::Int32Array GetInt32Array(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) throw Napi::TypeError::New(info.Env(), what + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

}  // namespace

Napi::Value OpenConfigFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "openConfigFiles(files: string[], threads?: number): bad arguments");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> files(arr.Length());
  for (uint32_t i = 0; i < files.size(); i++) {
    if (!GetDir(arr.Get(i), files[i])) throw Napi::TypeError::New(env, "openConfigFiles: files[" + std::to_string(i) + "] must be a non-empty string without NUL");
  }
  uint32_t asked = 0;
  if (info.Length() > 1 && !info[1].IsUndefined()) asked = static_cast<uint32_t>(GetUint(env, info[1], "openConfigFiles: threads", 0, kMaxAskedThreads));
  Napi::Int32Array fds = Napi::Int32Array::New(env, files.size());
  Napi::Int32Array sizes = Napi::Int32Array::New(env, files.size());
  int32_t* fd = fds.Data();
  int32_t* size = sizes.Data();
  ParallelFor(files.size(), ThreadsFor(files.size(), kDirsPerThread, asked), [&](size_t i) {
    fd[i] = OpenAtRetry(AT_FDCWD, files[i].c_str(), O_RDONLY | O_CLOEXEC);
    size[i] = -1;
    struct stat st;
    if (fd[i] >= 0) size[i] = fstat(fd[i], &st) == 0 && st.st_size > 0 ? static_cast<int32_t>(std::min<off_t>(st.st_size, 0x7fffffff)) : 0;
  });
  Napi::Object out = Napi::Object::New(env);
  out.Set("fds", fds);
  out.Set("sizes", sizes);
  return out;
}

Napi::Value ReadConfigRanges(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[2].IsArray() || !info[3].IsArray()) {
    throw Napi::TypeError::New(env, "readConfigRanges(fds: Int32Array, sizes: Int32Array, ranges: Uint32Array[], into: Uint8Array[], threads?: number): bad arguments");
  }
  Napi::Int32Array fds = GetInt32Array(info, 0, "readConfigRanges: fds");
  Napi::Int32Array sizes = GetInt32Array(info, 1, "readConfigRanges: sizes");
  Napi::Array ranges = info[2].As<Napi::Array>();
  Napi::Array into = info[3].As<Napi::Array>();
  const size_t n = fds.ElementLength();
  if (sizes.ElementLength() != n || ranges.Length() != n || into.Length() != n) throw Napi::TypeError::New(env, "readConfigRanges: fds, sizes, ranges and into must be as long");
  uint32_t asked = 0;
  if (info.Length() > 4 && !info[4].IsUndefined()) asked = static_cast<uint32_t>(GetUint(env, info[4], "readConfigRanges: threads", 0, kMaxAskedThreads));

  struct Job {
    const uint32_t* ranges;
    size_t count;
    uint8_t* into;
    size_t at;  // first range's index in `got`
  };
  std::vector<Job> jobs(n);
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    const std::string at = "[" + std::to_string(i) + "]";
    Napi::Value r = ranges.Get(i);
    Napi::Value b = into.Get(i);
    if (!r.IsTypedArray() || r.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) throw Napi::TypeError::New(env, "readConfigRanges: ranges" + at + " must be a Uint32Array");
    if (!b.IsTypedArray() || b.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, "readConfigRanges: into" + at + " must be a Uint8Array");
    Napi::Uint32Array ra = r.As<Napi::Uint32Array>();
    Napi::Uint8Array ba = b.As<Napi::Uint8Array>();
    if (ra.ElementLength() % 2 != 0) throw Napi::TypeError::New(env, "readConfigRanges: ranges" + at + " must hold offset, length pairs");
    jobs[i] = {ra.Data(), ra.ElementLength() / 2, ba.Data(), total};
    for (size_t k = 0; k < jobs[i].count; k++) {
      if (static_cast<uint64_t>(jobs[i].ranges[2 * k]) + jobs[i].ranges[2 * k + 1] > ba.ElementLength()) {
        throw Napi::RangeError::New(env, "readConfigRanges: ranges" + at + " reaches past into" + at);
      }
    }
    total += jobs[i].count;
  }
  Napi::Int32Array got = Napi::Int32Array::New(env, total);
  int32_t* g = got.Data();
  const int32_t* fd = fds.Data();
  const int32_t* size = sizes.Data();
  ParallelFor(n, ThreadsFor(n, kDirsPerThread, asked), [&](size_t i) {
    if (fd[i] < 0 || size[i] < 0) return;
    for (size_t k = 0; k < jobs[i].count; k++) {
      int err = 0;
      g[jobs[i].at + k] = static_cast<int32_t>(ReadConfigRange(fd[i], jobs[i].into, jobs[i].ranges[2 * k], jobs[i].ranges[2 * k + 1], static_cast<size_t>(size[i]), &err));
    }
  });
  return got;
}

Napi::Value CloseFds(const Napi::CallbackInfo& info) {
  Napi::Int32Array fds = GetInt32Array(info, 0, "closeConfigFiles: fds");
  for (size_t i = 0; i < fds.ElementLength(); i++) {
    if (fds[i] >= 0) close(fds[i]);
    fds[i] = -1;
  }
  return info.Env().Undefined();
}

}  // namespace p2p
