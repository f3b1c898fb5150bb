// JS entry points for the bench engine and its probes (see src/native/addon.ts for the typed facade).
#pragma once
#include <napi.h>

namespace p2p {
/** startBench(options, onProgress?) -> { promise, cancel } */
Napi::Value StartBench(const Napi::CallbackInfo& info);
/** ioUringProbe() -> { available, reason? } */
Napi::Value IoUringProbe(const Napi::CallbackInfo& info);
/** statSource(path) -> { kind, size, logicalBlockSize, major, minor, directOk, directError? } */
Napi::Value StatSource(const Napi::CallbackInfo& info);
/** probeCuFile(cufileLib, cudaLib) -> CuFileProbe */
Napi::Value ProbeCuFile(const Napi::CallbackInfo& info);
}  // namespace p2p
