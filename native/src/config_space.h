// Reading PCI config space from a sysfs `config` file (or any file): raw bytes, how many were really read.
#pragma once
#include <cstddef>
#include <cstdint>

namespace p2p {

/** Largest configMax accepted from JS: far beyond any config space (4096). */
constexpr uint32_t kMaxConfigBytes = 1u << 20;

/**
 * pread up to maxBytes from offset 0 into buf; stops at EOF, at a short read (the kernel's way of
 * saying "no more for you": 64 bytes for non-root) or at an error, whose errno goes to *readErrno
 * (0 otherwise). Returns the bytes read, including those read before an error.
 */
size_t ReadConfigBytes(int fd, uint8_t* buf, size_t maxBytes, int* readErrno);

/**
 * pread `length` bytes at `offset` into buf + offset, cut at `fileSize`; stops at EOF, a short read or
 * an error (errno to *readErrno, 0 otherwise). Returns the bytes read.
 */
size_t ReadConfigRange(int fd, uint8_t* buf, size_t offset, size_t length, size_t fileSize, int* readErrno);

}  // namespace p2p
