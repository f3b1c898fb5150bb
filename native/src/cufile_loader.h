// GPUDirect Storage (cuFile) and the CUDA driver API, loaded with dlopen at run time.
// No CUDA headers: the few types and entry points used are declared here from NVIDIA's documented C ABI.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace p2p {

// ---- CUDA driver API (cuda.h) ----
using CUresult = int;            // CUDA_SUCCESS == 0
using CUdevice = int;
using CUcontext = void*;         // opaque
using CUdeviceptr = unsigned long long;  // 64-bit device address

// ---- cuFile API (cufile.h) ----
// CUfileError_t is returned by value: { CUfileOpError err; CUresult cu_err; } — two ints.
struct CUfileError_t {
  int err;     // CU_FILE_SUCCESS == 0
  int cu_err;
};
enum : int { kCuFileHandleTypeOpaqueFd = 1 };  // CU_FILE_HANDLE_TYPE_OPAQUE_FD
struct CUfileDescr_t {
  int type;  // CUfileFileHandleType
  union {
    int fd;
    void* handle;
  } handle;
  const void* fs_ops;  // const CUfileFSOps_t*, NULL for OPAQUE_FD
};
using CUfileHandle_t = void*;

struct CuApi {
  // CUDA driver
  CUresult (*cuInit)(unsigned int flags) = nullptr;
  CUresult (*cuDeviceGetCount)(int* count) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice* dev, int ordinal) = nullptr;
  CUresult (*cuDeviceGetPCIBusId)(char* pciBusId, int len, CUdevice dev) = nullptr;
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext* ctx, CUdevice dev) = nullptr;
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice dev) = nullptr;   // cuDevicePrimaryCtxRelease_v2
  CUresult (*cuCtxSetCurrent)(CUcontext ctx) = nullptr;
  CUresult (*cuMemAlloc)(CUdeviceptr* dptr, size_t bytes) = nullptr;              // cuMemAlloc_v2
  CUresult (*cuMemFree)(CUdeviceptr dptr) = nullptr;                              // cuMemFree_v2
  CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void* src, size_t bytes) = nullptr;  // _v2
  CUresult (*cuMemcpyDtoH)(void* dst, CUdeviceptr src, size_t bytes) = nullptr;        // _v2
  // Optional (null when absent): pinning the bounce staging buffer and asynchronous copies from it.
  CUresult (*cuMemHostRegister)(void* p, size_t bytes, unsigned int flags) = nullptr;  // _v2
  CUresult (*cuMemHostUnregister)(void* p) = nullptr;
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void* src, size_t bytes, void* stream) = nullptr;  // _v2
  CUresult (*cuStreamSynchronize)(void* stream) = nullptr;
  // cuFile
  CUfileError_t (*cuFileDriverOpen)() = nullptr;
  CUfileError_t (*cuFileDriverClose)() = nullptr;
  CUfileError_t (*cuFileHandleRegister)(CUfileHandle_t* fh, CUfileDescr_t* descr) = nullptr;
  void (*cuFileHandleDeregister)(CUfileHandle_t fh) = nullptr;
  CUfileError_t (*cuFileBufRegister)(const void* devPtr, size_t length, int flags) = nullptr;
  CUfileError_t (*cuFileBufDeregister)(const void* devPtr) = nullptr;
  ssize_t (*cuFileRead)(CUfileHandle_t fh, void* devPtr, size_t size, off_t fileOffset, off_t devPtrOffset) = nullptr;
  ssize_t (*cuFileWrite)(CUfileHandle_t fh, const void* devPtr, size_t size, off_t fileOffset, off_t devPtrOffset) = nullptr;
};

/** Outcome of loading: which stage failed and why (empty stage = success). */
struct CuLoadResult {
  std::string stage;   // "", "dlopen-cufile", "dlopen-cuda", "symbol"
  std::string reason;
  std::string missingSymbol;
};

/** Owns the two dlopen handles; dlclose on destruction. */
class CuLibrary {
 public:
  CuLibrary() = default;
  CuLibrary(const CuLibrary&) = delete;
  CuLibrary& operator=(const CuLibrary&) = delete;
  ~CuLibrary();
  /** dlopen both libraries (cuda first: libcufile needs it) and resolve every symbol in CuApi.
   *  With needCuFile false only libcuda is loaded (the bounce path into GPU memory needs no cuFile). */
  CuLoadResult Load(const std::string& cufileLib, const std::string& cudaLib, bool needCuFile = true);
  const CuApi& api() const { return api_; }

 private:
  void* cufile_ = nullptr;
  void* cuda_ = nullptr;
  CuApi api_;
};

}  // namespace p2p
