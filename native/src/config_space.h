// Reading PCI config space from a sysfs `config` file (or any file): raw bytes, how many were really read.
#pragma once
#include <napi.h>

namespace p2p {
/** JS: readConfigSpace(path: string, maxBytes: number) -> { bytes: Uint8Array, length: number } */
Napi::Value ReadConfigSpace(const Napi::CallbackInfo& info);
}  // namespace p2p
