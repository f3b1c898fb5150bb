/* A stand-in for libcuda.so.1 used by the tests: "device memory" is host memory, so the bench's CUDA
 * paths (cuFile direct, bounce, host <-> GPU copies, GPU -> GPU peer and staged) run end to end on a
 * machine without a GPU. Build: cc -shared -fPIC -o libcuda.so.1 fake_cuda.c
 * Failures on demand (environment, read at each call):
 *   FAKE_CUDA_COUNT=N          devices (default 1)
 *   FAKE_CUDA_INIT_FAIL=1      cuInit -> CUDA_ERROR_NO_DEVICE (100)
 *   FAKE_CUDA_OOM=1            cuMemAlloc -> CUDA_ERROR_OUT_OF_MEMORY (2)
 *   FAKE_CUDA_PEER=0           cuDeviceCanAccessPeer answers 0
 *   FAKE_CUDA_PEER_ENABLE_FAIL=1  cuCtxEnablePeerAccess -> CUDA_ERROR_PEER_ACCESS_UNSUPPORTED (217)
 *   FAKE_CUDA_CORRUPT=htod|dtoh|peer  that kind of copy flips one byte (offset 4097) of what it wrote
 * -DOMIT_SYMBOL drops cuMemcpyDtoH_v2 (tests the missing-symbol path). */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUstream;
typedef unsigned long long CUdeviceptr;

static int inited;
static int ctx_token[64];

static int count(void) {
  const char *c = getenv("FAKE_CUDA_COUNT");
  int n = c ? atoi(c) : 1;
  return n < 0 ? 0 : n > 64 ? 64 : n;
}
static int on(const char *name) {
  const char *v = getenv(name);
  return v && strcmp(v, "0") != 0 && *v;
}
static void *P(CUdeviceptr p) { return (void *)(unsigned long)p; }
static void corrupt(const char *kind, void *dst, size_t n) {
  const char *c = getenv("FAKE_CUDA_CORRUPT");
  if (c && strcmp(c, kind) == 0 && n > 4097) ((unsigned char *)dst)[4097] ^= 0x5A;
}

CUresult cuInit(unsigned int flags) { (void)flags; if (getenv("FAKE_CUDA_INIT_FAIL")) return 100; inited = 1; return 0; }
CUresult cuDriverGetVersion(int *v) { *v = 12080; return 0; }
CUresult cuGetErrorName(CUresult e, const char **s) {
  switch (e) {
    case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
    case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 101: *s = "CUDA_ERROR_INVALID_DEVICE"; return 0;
    case 201: *s = "CUDA_ERROR_INVALID_CONTEXT"; return 0;
    case 217: *s = "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED"; return 0;
    default: *s = NULL; return 1;
  }
}
CUresult cuDeviceGetCount(int *n) { if (!inited) return 3; *n = count(); return 0; }
CUresult cuDeviceGet(CUdevice *d, int ordinal) { if (ordinal < 0 || ordinal >= count()) return 101; *d = ordinal; return 0; }
CUresult cuDeviceGetPCIBusId(char *buf, int len, CUdevice d) { snprintf(buf, (size_t)len, "0000:%02X:00.0", 0x65 + d); return 0; }
CUresult cuDeviceGetName(char *buf, int len, CUdevice d) { snprintf(buf, (size_t)len, "Fake GPU %d", d); return 0; }
CUresult cuDeviceTotalMem_v2(size_t *n, CUdevice d) { (void)d; *n = (size_t)80 << 30; return 0; }
CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) { if (d < 0 || d >= count()) return 101; *c = &ctx_token[d]; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { (void)d; return 0; }
CUresult cuCtxSetCurrent(CUcontext c) { return (c >= (void *)&ctx_token[0] && c < (void *)&ctx_token[64]) ? 0 : 201; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
  void *m = NULL;
  if (on("FAKE_CUDA_OOM")) return 2;
  if (posix_memalign(&m, 4096, n ? n : 1) != 0) return 2;
  *p = (CUdeviceptr)(unsigned long)m;
  return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free(P(p)); return 0; }
CUresult cuMemHostAlloc(void **p, size_t n, unsigned flags) { (void)flags; return posix_memalign(p, 4096, n ? n : 1) == 0 ? 0 : 2; }
CUresult cuMemFreeHost(void *p) { free(p); return 0; }
static void *registered;
CUresult cuMemHostRegister_v2(void *p, size_t n, unsigned flags) { (void)n; (void)flags; if (registered) return 712; registered = p; return 0; }
CUresult cuMemHostUnregister(void *p) { if (p != registered) return 713; registered = NULL; return 0; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) { memcpy(P(dst), src, n); corrupt("htod", P(dst), n); return 0; }
#ifndef OMIT_SYMBOL
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) { memcpy(dst, P(src), n); corrupt("dtoh", dst, n); return 0; }
#endif
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, CUstream s) { (void)s; return cuMemcpyHtoD_v2(dst, src, n); }
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, CUstream s) {
  (void)s;
  memcpy(dst, P(src), n);
  corrupt("dtoh", dst, n);
  return 0;
}
CUresult cuStreamSynchronize(CUstream s) { (void)s; return 0; }
CUresult cuDeviceCanAccessPeer(int *can, CUdevice a, CUdevice b) {
  if (a < 0 || b < 0 || a >= count() || b >= count()) return 101;
  const char *p = getenv("FAKE_CUDA_PEER");
  *can = a != b && !(p && strcmp(p, "0") == 0);
  return 0;
}
CUresult cuCtxEnablePeerAccess(CUcontext peer, unsigned flags) { (void)peer; (void)flags; return on("FAKE_CUDA_PEER_ENABLE_FAIL") ? 217 : 0; }
CUresult cuMemcpyPeerAsync(CUdeviceptr dst, CUcontext dc, CUdeviceptr src, CUcontext sc, size_t n, CUstream s) {
  (void)dc; (void)sc; (void)s;
  memcpy(P(dst), P(src), n);
  corrupt("peer", P(dst), n);
  return 0;
}
