/* A stand-in for ROCm's libamdhip64.so used by the tests: the HIP entry points the GPU benches use,
 * "device memory" in host memory. Environment: FAKE_HIP_COUNT=N (default 2), FAKE_HIP_PEER=0 (peer
 * access refused), FAKE_HIP_OOM=1 (hipMalloc -> hipErrorOutOfMemory 2), FAKE_HIP_CORRUPT=peer|htod|dtoh. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

typedef int hipError_t;
static int current;
static int count(void) {
  const char *c = getenv("FAKE_HIP_COUNT");
  return c ? atoi(c) : 2;
}
static void corrupt(const char *kind, void *dst, size_t n) {
  const char *c = getenv("FAKE_HIP_CORRUPT");
  if (c && strcmp(c, kind) == 0 && n > 4097) ((unsigned char *)dst)[4097] ^= 0x5A;
}
hipError_t hipInit(unsigned f) { (void)f; return 0; }
hipError_t hipDriverGetVersion(int *v) { *v = 60342134; return 0; }
const char *hipGetErrorName(hipError_t e) { return e == 2 ? "hipErrorOutOfMemory" : e == 101 ? "hipErrorInvalidDevice" : "hipErrorUnknown"; }
hipError_t hipGetDeviceCount(int *n) { *n = count(); return 0; }
hipError_t hipDeviceGetPCIBusId(char *b, int len, int d) { snprintf(b, (size_t)len, "0000:%02x:00.0", 0xc1 + d); return 0; }
hipError_t hipDeviceGetName(char *b, int len, int d) { snprintf(b, (size_t)len, "Fake AMD GPU %d", d); return 0; }
hipError_t hipDeviceTotalMem(size_t *n, int d) { (void)d; *n = (size_t)64 << 30; return 0; }
hipError_t hipSetDevice(int d) { if (d < 0 || d >= count()) return 101; current = d; return 0; }
hipError_t hipMalloc(void **p, size_t n) {
  const char *o = getenv("FAKE_HIP_OOM");
  if (o && strcmp(o, "1") == 0) return 2;
  return posix_memalign(p, 4096, n ? n : 1) == 0 ? 0 : 2;
}
hipError_t hipFree(void *p) { free(p); return 0; }
hipError_t hipHostMalloc(void **p, size_t n, unsigned f) { (void)f; return posix_memalign(p, 4096, n ? n : 1) == 0 ? 0 : 2; }
hipError_t hipHostFree(void *p) { free(p); return 0; }
hipError_t hipMemcpy(void *d, const void *s, size_t n, int kind) { memcpy(d, s, n); corrupt(kind == 1 ? "htod" : "dtoh", d, n); return 0; }
hipError_t hipDeviceCanAccessPeer(int *c, int a, int b) {
  const char *p = getenv("FAKE_HIP_PEER");
  *c = a != b && !(p && strcmp(p, "0") == 0);
  return 0;
}
hipError_t hipDeviceEnablePeerAccess(int peer, unsigned f) { (void)peer; (void)f; return 0; }
hipError_t hipMemcpyPeer(void *d, int dd, const void *s, int sd, size_t n) { (void)dd; (void)sd; memcpy(d, s, n); corrupt("peer", d, n); return 0; }
hipError_t hipDeviceSynchronize(void) { return 0; }
