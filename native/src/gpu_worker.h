// N-API glue for the GPU memory benches (gpu_bench.h): probeGpus and startGpuBench.
#pragma once
#include <napi.h>

namespace p2p {

Napi::Value ProbeGpusJs(const Napi::CallbackInfo& info);
Napi::Value StartGpuBench(const Napi::CallbackInfo& info);

}  // namespace p2p
