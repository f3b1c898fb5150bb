// sysfs `config` reads: a non-root reader gets only the first 64 bytes (the kernel returns a short
// read / EOF there), so we pread until EOF, a short read or an error, and report the real count.
#include "config_space.h"

#include <cerrno>
#include <unistd.h>

namespace p2p {

size_t ReadConfigBytes(int fd, uint8_t* buf, size_t maxBytes, int* readErrno) {
  size_t got = 0;
  *readErrno = 0;
  while (got < maxBytes) {
    ssize_t n = pread(fd, buf + got, maxBytes - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      *readErrno = errno;  // keep what was read before the error
      break;
    }
    if (n == 0) break;  // EOF
    const size_t asked = maxBytes - got;
    got += static_cast<size_t>(n);
    // A short read from sysfs config means "that is all you may see" (non-root: 64 bytes).
    if (static_cast<size_t>(n) < asked) break;
  }
  return got;
}

size_t ReadConfigRange(int fd, uint8_t* buf, size_t offset, size_t length, size_t fileSize, int* readErrno) {
  *readErrno = 0;
  if (offset >= fileSize) return 0;
  if (length > fileSize - offset) length = fileSize - offset;  // never past what the file holds
  size_t got = 0;
  while (got < length) {
    const size_t asked = length - got;
    ssize_t n = pread(fd, buf + offset + got, asked, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      *readErrno = errno;
      break;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < asked) break;  // the kernel's "no more for you"
  }
  return got;
}

}  // namespace p2p
