// N-API glue for the bench: argument checking (TypeError on garbage), the AsyncProgressWorker that runs
// the engine off the JS thread and streams progress, plus the probes (io_uring, source stat, cuFile).
#include "bench_worker.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>

#include "cufile_loader.h"
#include "engine.h"
#include "uring.h"
#include "util.h"

namespace p2p {

namespace {

std::string GetString(Napi::Env env, const Napi::Object& o, const char* key, bool required, const std::string& dflt = "") {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() && !required) return dflt;
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string("option ") + key + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(env, std::string("option ") + key + " contains a NUL byte");
  return s;
}

bool GetBool(Napi::Env env, const Napi::Object& o, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsBoolean()) throw Napi::TypeError::New(env, std::string("option ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

uint64_t GetNum(Napi::Env env, const Napi::Object& o, const char* key, uint64_t lo, uint64_t hi, uint64_t dflt, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() && !required) return dflt;
  return GetUint(env, v, (std::string("option ") + key).c_str(), lo, hi);
}

EngineOptions ParseOptions(Napi::Env env, const Napi::Object& o) {
  EngineOptions e;
  e.path = GetString(env, o, "path", true);
  if (e.path.empty()) throw Napi::TypeError::New(env, "option path must not be empty");
  e.write = GetBool(env, o, "write", false);
  e.direct = GetBool(env, o, "direct", true);
  std::string engine = GetString(env, o, "engine", false, "auto");
  if (engine == "auto") e.engine = EngineOptions::Engine::Auto;
  else if (engine == "io_uring") e.engine = EngineOptions::Engine::IoUring;
  else if (engine == "psync") e.engine = EngineOptions::Engine::Psync;
  else throw Napi::TypeError::New(env, "option engine must be 'auto', 'io_uring' or 'psync'");
  std::string mode = GetString(env, o, "mode", false, "direct");
  if (mode == "direct") e.bounce = false;
  else if (mode == "bounce") e.bounce = true;
  else throw Napi::TypeError::New(env, "option mode must be 'direct' or 'bounce'");
  Napi::Value dv = o.Get("dest");
  if (!dv.IsObject()) throw Napi::TypeError::New(env, "option dest must be an object { kind: ... }");
  Napi::Object d = dv.As<Napi::Object>();
  std::string kind = GetString(env, d, "kind", true);
  if (kind == "host") {
    e.dest = EngineOptions::Dest::Host;
  } else if (kind == "p2pmem") {
    e.dest = EngineOptions::Dest::P2pmem;
    e.allocatePath = GetString(env, d, "allocatePath", true);
  } else if (kind == "dax") {
    e.dest = EngineOptions::Dest::Dax;
    e.allocatePath = GetString(env, d, "path", true);
  } else if (kind == "udmabuf") {
    e.dest = EngineOptions::Dest::Udmabuf;
    e.allocatePath = GetString(env, d, "path", false, "");
  } else if (kind == "cufile") {
    e.dest = EngineOptions::Dest::CuFile;
    e.gpuOrdinal = static_cast<int>(GetNum(env, d, "gpuOrdinal", 0, 1024, 0, false));
    e.cufileLib = GetString(env, d, "cufileLib", false, e.cufileLib);
    e.cudaLib = GetString(env, d, "cudaLib", false, e.cudaLib);
  } else {
    throw Napi::TypeError::New(env, "option dest.kind must be 'host', 'p2pmem', 'dax', 'udmabuf' or 'cufile'");
  }
  e.blockSize = static_cast<uint32_t>(GetNum(env, o, "blockSize", 512, 1u << 30, 1u << 20, true));
  if (e.blockSize % 512) throw Napi::TypeError::New(env, "option blockSize must be a multiple of 512");
  e.queueDepth = static_cast<uint32_t>(GetNum(env, o, "queueDepth", 1, 4096, 32, true));
  e.workers = static_cast<uint32_t>(GetNum(env, o, "workers", 1, 256, 1, true));
  const uint64_t maxSafe = 9007199254740991ull;
  e.rangeOffset = GetNum(env, o, "rangeOffset", 0, maxSafe, 0, false);
  e.rangeLength = GetNum(env, o, "rangeLength", 1, maxSafe, 0, true);
  e.totalBytes = GetNum(env, o, "totalBytes", 0, maxSafe, 0, false);
  e.durationMs = GetNum(env, o, "durationMs", 0, 7ull * 24 * 3600 * 1000, 0, false);
  std::string pattern = GetString(env, o, "pattern", false, "seq");
  if (pattern == "seq") e.random = false;
  else if (pattern == "rand") e.random = true;
  else throw Napi::TypeError::New(env, "option pattern must be 'seq' or 'rand'");
  e.registerBuffers = GetBool(env, o, "registerBuffers", true);
  Napi::Value vs = o.Get("verifySlots");
  if (!vs.IsUndefined()) {
    if (!vs.IsNumber()) throw Napi::TypeError::New(env, "option verifySlots must be a number");
    double x = vs.As<Napi::Number>().DoubleValue();
    if (x == -1) e.verifySlots = -1;
    else e.verifySlots = static_cast<int64_t>(GetUint(env, vs, "option verifySlots", 0, 1u << 30));
  }
  e.progressIntervalMs = static_cast<uint32_t>(GetNum(env, o, "progressIntervalMs", 20, 60000, 250, false));
  e.seed = GetNum(env, o, "seed", 0, maxSafe, 1, false);
  Napi::Value tc = o.Get("testCorruptByte");
  if (!tc.IsUndefined()) e.testCorruptByte = static_cast<int64_t>(GetUint(env, tc, "option testCorruptByte", 0, 1u << 30));
  if (e.totalBytes == 0 && e.durationMs == 0) throw Napi::TypeError::New(env, "set option totalBytes or durationMs");
  if (e.rangeLength < e.blockSize) throw Napi::TypeError::New(env, "option rangeLength must be at least one block");
  return e;
}

struct Progress {
  double bytes, ios, elapsed;
};

class BenchWorker : public Napi::AsyncProgressWorker<Progress> {
 public:
  BenchWorker(Napi::Env env, EngineOptions o, std::shared_ptr<std::atomic<bool>> cancel, Napi::Function onProgress)
      : Napi::AsyncProgressWorker<Progress>(env, "p2p.bench"),
        opts_(std::move(o)),
        cancel_(std::move(cancel)),
        deferred_(Napi::Promise::Deferred::New(env)) {
    if (!onProgress.IsEmpty()) progressCb_ = Napi::Persistent(onProgress);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    ProgressFn fn = [&progress](uint64_t b, uint64_t n, double el) {
      Progress p{static_cast<double>(b), static_cast<double>(n), el};
      progress.Send(&p, 1);
    };
    if (!RunEngine(opts_, *cancel_, fn, &result_, &setupError_)) {
      setupFailed_ = true;
    }
  }
  void OnProgress(const Progress* data, size_t count) override {
    if (progressCb_.IsEmpty() || count == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    const Progress& p = data[count - 1];
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", p.bytes);
    o.Set("ios", p.ios);
    o.Set("elapsedSec", p.elapsed);
    try {
      progressCb_.Call({o});
    } catch (const Napi::Error&) {
      // a throwing progress callback must not break the run; the error is dropped
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (setupFailed_) {
      Napi::Error err = setupError_.err ? ErrnoError(env, setupError_.err, "bench", "") : Napi::Error::New(env, setupError_.message);
      err.Set("message", Napi::String::New(env, setupError_.message));
      deferred_.Reject(err.Value());
      return;
    }
    deferred_.Resolve(ToJs(env));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Object ToJs(Napi::Env env) {
    const EngineResult& r = result_;
    Napi::Object o = Napi::Object::New(env);
    o.Set("engine", r.engine);
    if (!r.engineNote.empty()) o.Set("engineNote", r.engineNote);
    if (!r.staging.empty()) o.Set("staging", r.staging);
    o.Set("registeredBuffers", r.registeredBuffers);
    if (!r.registerNote.empty()) o.Set("registerNote", r.registerNote);
    o.Set("threads", r.threads);
    o.Set("bytes", static_cast<double>(r.bytes));
    o.Set("ios", static_cast<double>(r.ios));
    o.Set("elapsedSec", r.elapsedSec);
    Napi::Object lat = Napi::Object::New(env);
    lat.Set("min", static_cast<double>(r.latency.min()));
    lat.Set("mean", r.latency.mean());
    lat.Set("p50", static_cast<double>(r.latency.Quantile(0.50)));
    lat.Set("p99", static_cast<double>(r.latency.Quantile(0.99)));
    lat.Set("p999", static_cast<double>(r.latency.Quantile(0.999)));
    lat.Set("max", static_cast<double>(r.latency.max()));
    o.Set("latencyNs", lat);
    Napi::Object cpu = Napi::Object::New(env);
    cpu.Set("userSec", r.userSec);
    cpu.Set("sysSec", r.sysSec);
    o.Set("cpu", cpu);
    Napi::Object tcpu = Napi::Object::New(env);
    tcpu.Set("userSec", r.threadUserSec);
    tcpu.Set("sysSec", r.threadSysSec);
    o.Set("threadCpu", tcpu);
    o.Set("copySec", r.copySec);
    if (!r.error.empty()) {
      o.Set("error", r.error);
      o.Set("errorCode", r.errorCode);
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("checked", r.verifyChecked);
    v.Set("ok", r.verifyChecked ? r.verifyOk : false);
    v.Set("slotsCompared", static_cast<double>(r.slotsCompared));
    v.Set("bytesCompared", static_cast<double>(r.bytesCompared));
    if (r.firstBadOffset >= 0) {
      v.Set("firstBadOffset", static_cast<double>(r.firstBadOffset));
      v.Set("expected", r.expected);
      v.Set("actual", r.actual);
    }
    if (!r.verifyError.empty()) v.Set("error", r.verifyError);
    o.Set("verify", v);
    o.Set("cancelled", r.cancelled);
    return o;
  }

  EngineOptions opts_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference progressCb_;
  EngineResult result_;
  SetupError setupError_;
  bool setupFailed_ = false;
};

}  // namespace

Napi::Value StartBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) {
    throw Napi::TypeError::New(env, "startBench(options: object, onProgress?: function)");
  }
  if (info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNull() && !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "startBench: onProgress must be a function");
  }
  EngineOptions o = ParseOptions(env, info[0].As<Napi::Object>());
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  Napi::Function cb;
  if (info.Length() >= 2 && info[1].IsFunction()) cb = info[1].As<Napi::Function>();
  auto* w = new BenchWorker(env, std::move(o), cancel, cb);
  Napi::Promise promise = w->Promise();
  w->Queue();  // the worker deletes itself after OnOK/OnError
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", promise);
  handle.Set("cancel", Napi::Function::New(env, [cancel](const Napi::CallbackInfo&) { cancel->store(true); }, "cancel"));
  return handle;
}

Napi::Value IoUringProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string reason;
  bool ok = ProbeIoUring(&reason);
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", ok);
  if (!ok) o.Set("reason", reason);
  return o;
}

Napi::Value StatSource(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "statSource(path: string)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "statSource: bad path");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ErrnoError(env, errno, "open", path);
  Fd guard(fd);
  struct stat st;
  if (fstat(fd, &st) < 0) throw ErrnoError(env, errno, "fstat", path);
  Napi::Object o = Napi::Object::New(env);
  double size = 0;
  unsigned lbs = 512;
  if (S_ISBLK(st.st_mode)) {
    uint64_t bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) throw ErrnoError(env, errno, "ioctl(BLKGETSIZE64)", path);
    int ss = 0;
    if (ioctl(fd, BLKSSZGET, &ss) < 0) throw ErrnoError(env, errno, "ioctl(BLKSSZGET)", path);
    size = static_cast<double>(bytes);
    lbs = ss > 0 ? static_cast<unsigned>(ss) : 512;
    o.Set("kind", "block");
    o.Set("major", static_cast<double>(major(st.st_rdev)));
    o.Set("minor", static_cast<double>(minor(st.st_rdev)));
  } else {
    size = static_cast<double>(st.st_size);
    o.Set("kind", S_ISREG(st.st_mode) ? "file" : "other");
    o.Set("major", static_cast<double>(major(st.st_dev)));
    o.Set("minor", static_cast<double>(minor(st.st_dev)));
  }
  o.Set("size", size);
  o.Set("logicalBlockSize", lbs);
  int dfd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  if (dfd < 0) {
    int e = errno;
    o.Set("directOk", false);
    o.Set("directError", ErrnoMessage(e, "open(O_DIRECT)", path));
  } else {
    close(dfd);
    o.Set("directOk", true);
  }
  return o;
}

Napi::Value ProbeCuFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(env, "probeCuFile(cufileLib: string, cudaLib: string)");
  std::string cufileLib = info[0].As<Napi::String>().Utf8Value();
  std::string cudaLib = info[1].As<Napi::String>().Utf8Value();
  if (cufileLib.empty() || cudaLib.empty() || cufileLib.find('\0') != std::string::npos || cudaLib.find('\0') != std::string::npos)
    throw Napi::TypeError::New(env, "probeCuFile: library names must be non-empty strings");
  Napi::Object o = Napi::Object::New(env);
  o.Set("cufileLib", cufileLib);
  o.Set("cudaLib", cudaLib);
  CuLibrary lib;
  CuLoadResult r = lib.Load(cufileLib, cudaLib);
  auto fail = [&](const std::string& stage, const std::string& reason) {
    o.Set("available", false);
    o.Set("stage", stage);
    o.Set("reason", reason);
    return o;
  };
  if (!r.stage.empty()) {
    if (!r.missingSymbol.empty()) o.Set("missingSymbol", r.missingSymbol);
    return fail(r.stage, r.reason);
  }
  const CuApi& a = lib.api();
  int rc = a.cuInit(0);
  if (rc != 0) return fail("cuInit", "cuInit failed (CUresult " + std::to_string(rc) + ")");
  int count = 0;
  rc = a.cuDeviceGetCount(&count);
  if (rc != 0) return fail("cuInit", "cuDeviceGetCount failed (CUresult " + std::to_string(rc) + ")");
  o.Set("deviceCount", count);
  Napi::Array ids = Napi::Array::New(env);
  for (int i = 0; i < count && i < 1024; i++) {
    CUdevice dev = 0;
    char bus[64];
    std::memset(bus, 0, sizeof bus);
    if (a.cuDeviceGet(&dev, i) == 0 && a.cuDeviceGetPCIBusId(bus, static_cast<int>(sizeof bus - 1), dev) == 0) {
      ids.Set(static_cast<uint32_t>(i), std::string(bus));
    } else {
      ids.Set(static_cast<uint32_t>(i), env.Null());
    }
  }
  o.Set("devicePciIds", ids);
  if (count == 0) return fail("no-device", "no CUDA device");
  CUfileError_t fe = a.cuFileDriverOpen();
  if (fe.err != 0)
    return fail("driver-open", "cuFileDriverOpen failed (cuFile error " + std::to_string(fe.err) + ", CUresult " + std::to_string(fe.cu_err) + ")");
  a.cuFileDriverClose();
  o.Set("available", true);
  return o;
}

}  // namespace p2p
