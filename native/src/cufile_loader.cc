#include "cufile_loader.h"

#include <dlfcn.h>

namespace p2p {

CuLibrary::~CuLibrary() {
  if (cufile_) dlclose(cufile_);
  if (cuda_) dlclose(cuda_);
}

namespace {
template <typename T>
bool Resolve(void* lib, const char* name, T* slot, CuLoadResult* r) {
  dlerror();
  void* p = dlsym(lib, name);
  if (!p) {
    const char* e = dlerror();
    r->stage = "symbol";
    r->missingSymbol = name;
    r->reason = std::string("missing symbol ") + name + (e ? std::string(": ") + e : std::string());
    return false;
  }
  *slot = reinterpret_cast<T>(p);
  return true;
}
}  // namespace

CuLoadResult CuLibrary::Load(const std::string& cufileLib, const std::string& cudaLib, bool needCuFile) {
  CuLoadResult r;
  cuda_ = dlopen(cudaLib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!cuda_) {
    const char* e = dlerror();
    r.stage = "dlopen-cuda";
    r.reason = e ? e : (cudaLib + ": dlopen failed");
    return r;
  }
  if (needCuFile) cufile_ = dlopen(cufileLib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (needCuFile && !cufile_) {
    const char* e = dlerror();
    r.stage = "dlopen-cufile";
    r.reason = e ? e : (cufileLib + ": dlopen failed");
    return r;
  }
  CuApi a;
  bool ok = Resolve(cuda_, "cuInit", &a.cuInit, &r) &&
            Resolve(cuda_, "cuDeviceGetCount", &a.cuDeviceGetCount, &r) &&
            Resolve(cuda_, "cuDeviceGet", &a.cuDeviceGet, &r) &&
            Resolve(cuda_, "cuDeviceGetPCIBusId", &a.cuDeviceGetPCIBusId, &r) &&
            Resolve(cuda_, "cuDevicePrimaryCtxRetain", &a.cuDevicePrimaryCtxRetain, &r) &&
            Resolve(cuda_, "cuDevicePrimaryCtxRelease_v2", &a.cuDevicePrimaryCtxRelease, &r) &&
            Resolve(cuda_, "cuCtxSetCurrent", &a.cuCtxSetCurrent, &r) &&
            Resolve(cuda_, "cuMemAlloc_v2", &a.cuMemAlloc, &r) &&
            Resolve(cuda_, "cuMemFree_v2", &a.cuMemFree, &r) &&
            Resolve(cuda_, "cuMemcpyHtoD_v2", &a.cuMemcpyHtoD, &r) &&
            Resolve(cuda_, "cuMemcpyDtoH_v2", &a.cuMemcpyDtoH, &r) &&
            (!needCuFile || (Resolve(cufile_, "cuFileDriverOpen", &a.cuFileDriverOpen, &r) &&
            Resolve(cufile_, "cuFileDriverClose", &a.cuFileDriverClose, &r) &&
            Resolve(cufile_, "cuFileHandleRegister", &a.cuFileHandleRegister, &r) &&
            Resolve(cufile_, "cuFileHandleDeregister", &a.cuFileHandleDeregister, &r) &&
            Resolve(cufile_, "cuFileBufRegister", &a.cuFileBufRegister, &r) &&
            Resolve(cufile_, "cuFileBufDeregister", &a.cuFileBufDeregister, &r) &&
            Resolve(cufile_, "cuFileRead", &a.cuFileRead, &r) &&
            Resolve(cufile_, "cuFileWrite", &a.cuFileWrite, &r)));
  if (ok) {
    // Optional entry points: the bounce path pins its staging buffer when they exist.
    a.cuMemHostRegister = reinterpret_cast<decltype(a.cuMemHostRegister)>(dlsym(cuda_, "cuMemHostRegister_v2"));
    a.cuMemHostUnregister = reinterpret_cast<decltype(a.cuMemHostUnregister)>(dlsym(cuda_, "cuMemHostUnregister"));
    a.cuMemcpyHtoDAsync = reinterpret_cast<decltype(a.cuMemcpyHtoDAsync)>(dlsym(cuda_, "cuMemcpyHtoDAsync_v2"));
    a.cuStreamSynchronize = reinterpret_cast<decltype(a.cuStreamSynchronize)>(dlsym(cuda_, "cuStreamSynchronize"));
    api_ = a;
  }
  return r;
}

}  // namespace p2p
