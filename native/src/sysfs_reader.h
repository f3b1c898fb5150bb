// Batched reads of sysfs directories: many attributes, links and config with one JS -> C++ call.
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

/**
 * JS: readSysfsDirs(dirs: string[], files: string[], links: string[], configMax: number, threads: number)
 *   -> one readSysfsDir answer per directory, in order. `threads` 0 picks the count; the reads run on
 *   that many threads, the JS values are all made on the calling thread.
 */
Napi::Value ReadSysfsDirs(const Napi::CallbackInfo& info);

/**
 * JS: openConfigFiles(files: string[], threads?: number) -> { fds: Int32Array, sizes: Int32Array }
 *   Opens each file read-only (fd -1 when it will not open) and gives its size (fstat; -1 unopened),
 *   on `threads` threads (0 picks the count). Close them with closeConfigFiles.
 */
Napi::Value OpenConfigFiles(const Napi::CallbackInfo& info);

/**
 * JS: readConfigRanges(fds: Int32Array, sizes: Int32Array, ranges: Uint32Array[], into: Uint8Array[], threads?: number)
 *   -> Int32Array: bytes got per range, all files' in order. For file i its ranges (offset, length
 *   pairs) are pread into into[i] at their offsets, each cut at sizes[i]; on a few threads.
 */
Napi::Value ReadConfigRanges(const Napi::CallbackInfo& info);

/** JS: closeConfigFiles(fds: Int32Array): closes each fd >= 0 and sets it to -1. */
Napi::Value CloseFds(const Napi::CallbackInfo& info);

}  // namespace p2p
