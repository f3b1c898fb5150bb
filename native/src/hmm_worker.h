// N-API glue for the HMM migration bench (hmm_bench.h): startHmmBench.
#pragma once
#include <napi.h>

namespace p2p {

/** startHmmBench(options) -> { promise, cancel } */
Napi::Value StartHmmBench(const Napi::CallbackInfo& info);

}  // namespace p2p
