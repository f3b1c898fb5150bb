// Addon entry point: registers every native function. The typed facade is src/native/addon.ts.
#include <napi.h>

#include "bench_worker.h"
#include "config_space.h"
#include "gpu_worker.h"
#include "hmm_worker.h"
#include "probe.h"
#include "sysfs_reader.h"

namespace p2p {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("readSysfsDir", Napi::Function::New(env, ReadSysfsDir, "readSysfsDir"));
  exports.Set("readSysfsDirs", Napi::Function::New(env, ReadSysfsDirs, "readSysfsDirs"));
  exports.Set("openConfigFiles", Napi::Function::New(env, OpenConfigFiles, "openConfigFiles"));
  exports.Set("readConfigRanges", Napi::Function::New(env, ReadConfigRanges, "readConfigRanges"));
  exports.Set("closeConfigFiles", Napi::Function::New(env, CloseFds, "closeConfigFiles"));
  exports.Set("ioUringProbe", Napi::Function::New(env, IoUringProbe, "ioUringProbe"));
  exports.Set("statSource", Napi::Function::New(env, StatSource, "statSource"));
  exports.Set("probeCuFile", Napi::Function::New(env, ProbeCuFile, "probeCuFile"));
  exports.Set("startBench", Napi::Function::New(env, StartBench, "startBench"));
  exports.Set("probeGpus", Napi::Function::New(env, ProbeGpusJs, "probeGpus"));
  exports.Set("startGpuBench", Napi::Function::New(env, StartGpuBench, "startGpuBench"));
  exports.Set("startHmmBench", Napi::Function::New(env, StartHmmBench, "startHmmBench"));
  exports.Set("probePeerMemory", Napi::Function::New(env, ProbePeerMemoryJs, "probePeerMemory"));
  exports.Set("abiVersion", Napi::Number::New(env, 6));
  return exports;
}

}  // namespace p2p

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return p2p::Init(env, exports); }
NODE_API_MODULE(p2p_native, InitModule)
