// Batched reads of one sysfs directory: many attributes, links and config with one JS -> C++ call.
#pragma once
#include <napi.h>

namespace p2p {

/**
 * JS: readSysfsDir(dir: string, files: string[], links: string[], configMax: number)
 *   -> { files: (string|null)[], links: (string|null)[], config: Uint8Array|null, configLength: number,
 *        configError?: string }
 *   or { error: 'ENOENT' | 'EACCES' | ... } when `dir` itself cannot be opened.
 */
Napi::Value ReadSysfsDir(const Napi::CallbackInfo& info);

}  // namespace p2p
