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
 * JS: readConfigRanges(files: string[], ranges: Uint32Array[], into: Uint8Array[], threads: number)
 *   -> { sizes: Int32Array (per file; -1 when it did not open), got: Int32Array (per range, in order) }
 *   Each file is opened once and its ranges (offset, length pairs) are pread into into[i] at their
 *   offsets, cut at the file's size; the files are read on `threads` threads (0 picks the count).
 */
Napi::Value ReadConfigRanges(const Napi::CallbackInfo& info);

}  // namespace p2p
