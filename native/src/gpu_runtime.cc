// The CUDA driver API and HIP behind GpuRuntime: dlopen, dlsym of the entry points used, error names.
#include "gpu_runtime.h"

#include <dlfcn.h>

#include <cstring>
#include <map>

namespace p2p {

namespace {

/** dlopen'ed library; dlclose on destruction. */
class Lib {
 public:
  ~Lib() {
    if (h_) dlclose(h_);
  }
  bool Open(const std::string& name, std::string* reason) {
    h_ = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h_) {
      const char* e = dlerror();
      *reason = e ? e : name + ": dlopen failed";
    }
    return h_ != nullptr;
  }
  template <typename T>
  bool Sym(const char* name, T* slot, std::string* reason, bool optional = false) {
    dlerror();
    void* p = dlsym(h_, name);
    if (!p && !optional) {
      *reason = std::string("missing symbol ") + name;
      return false;
    }
    *slot = reinterpret_cast<T>(p);
    return true;
  }

 private:
  void* h_ = nullptr;
};

// ------------------------------------------------------------------------------------------------
// CUDA driver API
// ------------------------------------------------------------------------------------------------

using CUresult = int;
using CUdevice = int;
using CUcontext = void*;
using CUstream = void*;
constexpr CUresult kCudaPeerAlreadyEnabled = 704;  // CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED

struct CudaApi {
  CUresult (*cuInit)(unsigned) = nullptr;
  CUresult (*cuDriverGetVersion)(int*) = nullptr;
  CUresult (*cuDeviceGetCount)(int*) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice*, int) = nullptr;
  CUresult (*cuDeviceGetPCIBusId)(char*, int, CUdevice) = nullptr;
  CUresult (*cuDeviceGetName)(char*, int, CUdevice) = nullptr;
  CUresult (*cuDeviceTotalMem)(size_t*, CUdevice) = nullptr;  // _v2
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice) = nullptr;  // _v2
  CUresult (*cuCtxSetCurrent)(CUcontext) = nullptr;
  CUresult (*cuMemAlloc)(GpuPtr*, size_t) = nullptr;  // _v2
  CUresult (*cuMemFree)(GpuPtr) = nullptr;            // _v2
  CUresult (*cuMemHostAlloc)(void**, size_t, unsigned) = nullptr;
  CUresult (*cuMemFreeHost)(void*) = nullptr;
  CUresult (*cuMemcpyHtoDAsync)(GpuPtr, const void*, size_t, CUstream) = nullptr;  // _v2
  CUresult (*cuMemcpyDtoHAsync)(void*, GpuPtr, size_t, CUstream) = nullptr;        // _v2
  CUresult (*cuStreamSynchronize)(CUstream) = nullptr;
  CUresult (*cuDeviceCanAccessPeer)(int*, CUdevice, CUdevice) = nullptr;
  CUresult (*cuCtxEnablePeerAccess)(CUcontext, unsigned) = nullptr;
  CUresult (*cuMemcpyPeerAsync)(GpuPtr, CUcontext, GpuPtr, CUcontext, size_t, CUstream) = nullptr;
  CUresult (*cuGetErrorName)(CUresult, const char**) = nullptr;  // optional
};

class CudaRuntime : public GpuRuntime {
 public:
  ~CudaRuntime() override {
    for (auto& kv : ctx_) a_.cuDevicePrimaryCtxRelease(kv.first);
  }
  const char* Name() const override { return "cuda"; }
  bool Load(const std::string& lib, std::string* stage, std::string* reason) override {
    if (!lib_.Open(lib, reason)) { *stage = "dlopen"; return false; }
    bool ok = lib_.Sym("cuInit", &a_.cuInit, reason) && lib_.Sym("cuDriverGetVersion", &a_.cuDriverGetVersion, reason) &&
              lib_.Sym("cuDeviceGetCount", &a_.cuDeviceGetCount, reason) && lib_.Sym("cuDeviceGet", &a_.cuDeviceGet, reason) &&
              lib_.Sym("cuDeviceGetPCIBusId", &a_.cuDeviceGetPCIBusId, reason) && lib_.Sym("cuDeviceGetName", &a_.cuDeviceGetName, reason) &&
              lib_.Sym("cuDeviceTotalMem_v2", &a_.cuDeviceTotalMem, reason) &&
              lib_.Sym("cuDevicePrimaryCtxRetain", &a_.cuDevicePrimaryCtxRetain, reason) &&
              lib_.Sym("cuDevicePrimaryCtxRelease_v2", &a_.cuDevicePrimaryCtxRelease, reason) &&
              lib_.Sym("cuCtxSetCurrent", &a_.cuCtxSetCurrent, reason) && lib_.Sym("cuMemAlloc_v2", &a_.cuMemAlloc, reason) &&
              lib_.Sym("cuMemFree_v2", &a_.cuMemFree, reason) && lib_.Sym("cuMemHostAlloc", &a_.cuMemHostAlloc, reason) &&
              lib_.Sym("cuMemFreeHost", &a_.cuMemFreeHost, reason) &&
              lib_.Sym("cuMemcpyHtoDAsync_v2", &a_.cuMemcpyHtoDAsync, reason) &&
              lib_.Sym("cuMemcpyDtoHAsync_v2", &a_.cuMemcpyDtoHAsync, reason) &&
              lib_.Sym("cuStreamSynchronize", &a_.cuStreamSynchronize, reason) &&
              lib_.Sym("cuDeviceCanAccessPeer", &a_.cuDeviceCanAccessPeer, reason) &&
              lib_.Sym("cuCtxEnablePeerAccess", &a_.cuCtxEnablePeerAccess, reason) &&
              lib_.Sym("cuMemcpyPeerAsync", &a_.cuMemcpyPeerAsync, reason) &&
              lib_.Sym("cuGetErrorName", &a_.cuGetErrorName, reason, true);
    if (!ok) { *stage = "symbol"; return false; }
    std::string e = Check(a_.cuInit(0), "cuInit");
    if (!e.empty()) { *stage = "init"; *reason = e; return false; }
    return true;
  }
  int DriverVersion() override {
    int v = 0;
    return a_.cuDriverGetVersion(&v) == 0 ? v : 0;
  }
  std::string Count(int* n) override { return Check(a_.cuDeviceGetCount(n), "cuDeviceGetCount"); }
  std::string PciBusId(int ord, std::string* id) override {
    char buf[64] = {0};
    std::string e = Check(a_.cuDeviceGetPCIBusId(buf, sizeof buf - 1, ord), "cuDeviceGetPCIBusId");
    if (e.empty()) *id = buf;
    return e;
  }
  std::string DeviceName(int ord, std::string* name) override {
    char buf[256] = {0};
    std::string e = Check(a_.cuDeviceGetName(buf, sizeof buf - 1, ord), "cuDeviceGetName");
    if (e.empty()) *name = buf;
    return e;
  }
  std::string TotalMem(int ord, uint64_t* bytes) override {
    size_t n = 0;
    std::string e = Check(a_.cuDeviceTotalMem(&n, ord), "cuDeviceTotalMem");
    *bytes = n;
    return e;
  }
  std::string Select(int ord) override {
    CUcontext c = nullptr;
    std::string e = Ctx(ord, &c);
    return e.empty() ? Check(a_.cuCtxSetCurrent(c), "cuCtxSetCurrent") : e;
  }
  std::string Alloc(int ord, size_t n, GpuPtr* p) override {
    std::string e = Select(ord);
    if (!e.empty()) return e;
    *p = 0;
    return Check(a_.cuMemAlloc(p, n), "cuMemAlloc");
  }
  void Free(int ord, GpuPtr p) override {
    if (p && Select(ord).empty()) a_.cuMemFree(p);
  }
  std::string HostAllocPinned(size_t n, void** p) override { return Check(a_.cuMemHostAlloc(p, n, 0), "cuMemHostAlloc"); }
  void HostFreePinned(void* p) override {
    if (p) a_.cuMemFreeHost(p);
  }
  std::string HtoD(GpuPtr dst, const void* src, size_t n) override {
    std::string e = Check(a_.cuMemcpyHtoDAsync(dst, src, n, nullptr), "cuMemcpyHtoDAsync");
    return e.empty() ? Check(a_.cuStreamSynchronize(nullptr), "cuStreamSynchronize") : e;
  }
  std::string DtoH(void* dst, GpuPtr src, size_t n) override {
    std::string e = Check(a_.cuMemcpyDtoHAsync(dst, src, n, nullptr), "cuMemcpyDtoHAsync");
    return e.empty() ? Check(a_.cuStreamSynchronize(nullptr), "cuStreamSynchronize") : e;
  }
  std::string CanAccessPeer(int a, int b, bool* yes) override {
    int v = 0;
    std::string e = Check(a_.cuDeviceCanAccessPeer(&v, a, b), "cuDeviceCanAccessPeer");
    *yes = v != 0;
    return e;
  }
  std::string EnablePeer(int from, int to) override {
    CUcontext peer = nullptr;
    std::string e = Ctx(to, &peer);
    if (e.empty()) e = Select(from);
    if (!e.empty()) return e;
    CUresult rc = a_.cuCtxEnablePeerAccess(peer, 0);
    return rc == kCudaPeerAlreadyEnabled ? "" : Check(rc, "cuCtxEnablePeerAccess");
  }
  std::string CopyPeer(GpuPtr dst, int dstOrd, GpuPtr src, int srcOrd, size_t n) override {
    CUcontext cd = nullptr, cs = nullptr;
    std::string e = Ctx(dstOrd, &cd);
    if (e.empty()) e = Ctx(srcOrd, &cs);
    if (e.empty()) e = Select(dstOrd);
    if (e.empty()) e = Check(a_.cuMemcpyPeerAsync(dst, cd, src, cs, n, nullptr), "cuMemcpyPeerAsync");
    return e.empty() ? Check(a_.cuStreamSynchronize(nullptr), "cuStreamSynchronize") : e;
  }

 private:
  std::string Check(CUresult rc, const char* call) {
    if (rc == 0) return "";
    const char* name = nullptr;
    if (a_.cuGetErrorName) a_.cuGetErrorName(rc, &name);
    return std::string(call) + " failed: " + (name ? name : "CUresult") + " (" + std::to_string(rc) + ")";
  }
  std::string Ctx(int ord, CUcontext* c) {
    auto it = ctx_.find(ord);
    if (it != ctx_.end()) { *c = it->second; return ""; }
    CUdevice d = 0;
    std::string e = Check(a_.cuDeviceGet(&d, ord), "cuDeviceGet");
    if (e.empty()) e = Check(a_.cuDevicePrimaryCtxRetain(c, d), "cuDevicePrimaryCtxRetain");
    if (e.empty()) ctx_[ord] = *c;
    return e;
  }
  Lib lib_;
  CudaApi a_;
  std::map<int, CUcontext> ctx_;
};

// ------------------------------------------------------------------------------------------------
// HIP (ROCm)
// ------------------------------------------------------------------------------------------------

using hipError_t = int;
enum : int { kHipMemcpyHostToDevice = 1, kHipMemcpyDeviceToHost = 2 };
constexpr hipError_t kHipPeerAlreadyEnabled = 704;  // hipErrorPeerAccessAlreadyEnabled

struct HipApi {
  hipError_t (*hipInit)(unsigned) = nullptr;
  hipError_t (*hipDriverGetVersion)(int*) = nullptr;
  hipError_t (*hipGetDeviceCount)(int*) = nullptr;
  hipError_t (*hipDeviceGetPCIBusId)(char*, int, int) = nullptr;
  hipError_t (*hipDeviceGetName)(char*, int, int) = nullptr;
  hipError_t (*hipDeviceTotalMem)(size_t*, int) = nullptr;
  hipError_t (*hipSetDevice)(int) = nullptr;
  hipError_t (*hipMalloc)(void**, size_t) = nullptr;
  hipError_t (*hipFree)(void*) = nullptr;
  hipError_t (*hipHostMalloc)(void**, size_t, unsigned) = nullptr;
  hipError_t (*hipHostFree)(void*) = nullptr;
  hipError_t (*hipMemcpy)(void*, const void*, size_t, int) = nullptr;
  hipError_t (*hipDeviceCanAccessPeer)(int*, int, int) = nullptr;
  hipError_t (*hipDeviceEnablePeerAccess)(int, unsigned) = nullptr;
  hipError_t (*hipMemcpyPeer)(void*, int, const void*, int, size_t) = nullptr;
  hipError_t (*hipDeviceSynchronize)() = nullptr;
  const char* (*hipGetErrorName)(hipError_t) = nullptr;  // optional
};

inline void* Ptr(GpuPtr p) { return reinterpret_cast<void*>(static_cast<uintptr_t>(p)); }

class HipRuntime : public GpuRuntime {
 public:
  const char* Name() const override { return "hip"; }
  bool Load(const std::string& lib, std::string* stage, std::string* reason) override {
    if (!lib_.Open(lib, reason)) { *stage = "dlopen"; return false; }
    bool ok = lib_.Sym("hipInit", &a_.hipInit, reason) && lib_.Sym("hipDriverGetVersion", &a_.hipDriverGetVersion, reason) &&
              lib_.Sym("hipGetDeviceCount", &a_.hipGetDeviceCount, reason) &&
              lib_.Sym("hipDeviceGetPCIBusId", &a_.hipDeviceGetPCIBusId, reason) &&
              lib_.Sym("hipDeviceGetName", &a_.hipDeviceGetName, reason) &&
              lib_.Sym("hipDeviceTotalMem", &a_.hipDeviceTotalMem, reason) && lib_.Sym("hipSetDevice", &a_.hipSetDevice, reason) &&
              lib_.Sym("hipMalloc", &a_.hipMalloc, reason) && lib_.Sym("hipFree", &a_.hipFree, reason) &&
              lib_.Sym("hipHostMalloc", &a_.hipHostMalloc, reason) && lib_.Sym("hipHostFree", &a_.hipHostFree, reason) &&
              lib_.Sym("hipMemcpy", &a_.hipMemcpy, reason) && lib_.Sym("hipDeviceCanAccessPeer", &a_.hipDeviceCanAccessPeer, reason) &&
              lib_.Sym("hipDeviceEnablePeerAccess", &a_.hipDeviceEnablePeerAccess, reason) &&
              lib_.Sym("hipMemcpyPeer", &a_.hipMemcpyPeer, reason) &&
              lib_.Sym("hipDeviceSynchronize", &a_.hipDeviceSynchronize, reason) &&
              lib_.Sym("hipGetErrorName", &a_.hipGetErrorName, reason, true);
    if (!ok) { *stage = "symbol"; return false; }
    std::string e = Check(a_.hipInit(0), "hipInit");
    if (!e.empty()) { *stage = "init"; *reason = e; return false; }
    return true;
  }
  int DriverVersion() override {
    int v = 0;
    return a_.hipDriverGetVersion(&v) == 0 ? v : 0;
  }
  std::string Count(int* n) override { return Check(a_.hipGetDeviceCount(n), "hipGetDeviceCount"); }
  std::string PciBusId(int ord, std::string* id) override {
    char buf[64] = {0};
    std::string e = Check(a_.hipDeviceGetPCIBusId(buf, sizeof buf - 1, ord), "hipDeviceGetPCIBusId");
    if (e.empty()) *id = buf;
    return e;
  }
  std::string DeviceName(int ord, std::string* name) override {
    char buf[256] = {0};
    std::string e = Check(a_.hipDeviceGetName(buf, sizeof buf - 1, ord), "hipDeviceGetName");
    if (e.empty()) *name = buf;
    return e;
  }
  std::string TotalMem(int ord, uint64_t* bytes) override {
    size_t n = 0;
    std::string e = Check(a_.hipDeviceTotalMem(&n, ord), "hipDeviceTotalMem");
    *bytes = n;
    return e;
  }
  std::string Select(int ord) override { return Check(a_.hipSetDevice(ord), "hipSetDevice"); }
  std::string Alloc(int ord, size_t n, GpuPtr* p) override {
    std::string e = Select(ord);
    void* q = nullptr;
    if (e.empty()) e = Check(a_.hipMalloc(&q, n), "hipMalloc");
    *p = reinterpret_cast<uintptr_t>(q);
    return e;
  }
  void Free(int ord, GpuPtr p) override {
    if (p && Select(ord).empty()) a_.hipFree(Ptr(p));
  }
  std::string HostAllocPinned(size_t n, void** p) override { return Check(a_.hipHostMalloc(p, n, 0), "hipHostMalloc"); }
  void HostFreePinned(void* p) override {
    if (p) a_.hipHostFree(p);
  }
  std::string HtoD(GpuPtr dst, const void* src, size_t n) override {
    return Check(a_.hipMemcpy(Ptr(dst), src, n, kHipMemcpyHostToDevice), "hipMemcpy(HostToDevice)");
  }
  std::string DtoH(void* dst, GpuPtr src, size_t n) override {
    return Check(a_.hipMemcpy(dst, Ptr(src), n, kHipMemcpyDeviceToHost), "hipMemcpy(DeviceToHost)");
  }
  std::string CanAccessPeer(int a, int b, bool* yes) override {
    int v = 0;
    std::string e = Check(a_.hipDeviceCanAccessPeer(&v, a, b), "hipDeviceCanAccessPeer");
    *yes = v != 0;
    return e;
  }
  std::string EnablePeer(int from, int to) override {
    std::string e = Select(from);
    if (!e.empty()) return e;
    hipError_t rc = a_.hipDeviceEnablePeerAccess(to, 0);
    return rc == kHipPeerAlreadyEnabled ? "" : Check(rc, "hipDeviceEnablePeerAccess");
  }
  std::string CopyPeer(GpuPtr dst, int dstOrd, GpuPtr src, int srcOrd, size_t n) override {
    std::string e = Check(a_.hipMemcpyPeer(Ptr(dst), dstOrd, Ptr(src), srcOrd, n), "hipMemcpyPeer");
    return e.empty() ? Check(a_.hipDeviceSynchronize(), "hipDeviceSynchronize") : e;
  }

 private:
  std::string Check(hipError_t rc, const char* call) {
    if (rc == 0) return "";
    const char* name = a_.hipGetErrorName ? a_.hipGetErrorName(rc) : nullptr;
    return std::string(call) + " failed: " + (name ? name : "hipError_t") + " (" + std::to_string(rc) + ")";
  }
  Lib lib_;
  HipApi a_;
};

}  // namespace

std::unique_ptr<GpuRuntime> MakeCudaRuntime() { return std::make_unique<CudaRuntime>(); }
std::unique_ptr<GpuRuntime> MakeHipRuntime() { return std::make_unique<HipRuntime>(); }
std::unique_ptr<GpuRuntime> MakeGpuRuntime(const std::string& name) {
  if (name == "cuda") return MakeCudaRuntime();
  if (name == "hip") return MakeHipRuntime();
  return nullptr;
}

}  // namespace p2p
