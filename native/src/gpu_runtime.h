// GPU memory runtimes loaded with dlopen at run time: the CUDA driver API (libcuda.so.1) and ROCm's HIP
// (libamdhip64.so). No vendor headers: the few entry points used are declared here from the documented
// C ABIs. Both are wrapped in one small interface so the copy benches are written once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace p2p {

/** A device pointer or a host pointer, as an integer (CUdeviceptr / hipDeviceptr_t). */
using GpuPtr = unsigned long long;

class GpuRuntime {
 public:
  virtual ~GpuRuntime() = default;
  /** "cuda" or "hip". */
  virtual const char* Name() const = 0;
  /** dlopen + dlsym + init. Empty on success, else stage and one-line reason. */
  virtual bool Load(const std::string& lib, std::string* stage, std::string* reason) = 0;
  virtual int DriverVersion() = 0;
  /** Each call returns "" on success or one line naming the call and the runtime's error. */
  virtual std::string Count(int* n) = 0;
  virtual std::string PciBusId(int ord, std::string* id) = 0;
  virtual std::string DeviceName(int ord, std::string* name) = 0;
  virtual std::string TotalMem(int ord, uint64_t* bytes) = 0;
  /** Make `ord` current on the calling thread (primary context / hipSetDevice). */
  virtual std::string Select(int ord) = 0;
  virtual std::string Alloc(int ord, size_t n, GpuPtr* p) = 0;
  virtual void Free(int ord, GpuPtr p) = 0;
  virtual std::string HostAllocPinned(size_t n, void** p) = 0;
  virtual void HostFreePinned(void* p) = 0;
  /** Synchronous copies (async on the default stream + synchronize where the runtime has it). */
  virtual std::string HtoD(GpuPtr dst, const void* src, size_t n) = 0;
  virtual std::string DtoH(void* dst, GpuPtr src, size_t n) = 0;
  virtual std::string CanAccessPeer(int a, int b, bool* yes) = 0;
  /** Let `from` reach `to`'s memory directly. Already enabled counts as success. */
  virtual std::string EnablePeer(int from, int to) = 0;
  /** Peer copy src (on srcOrd) -> dst (on dstOrd), then synchronize. */
  virtual std::string CopyPeer(GpuPtr dst, int dstOrd, GpuPtr src, int srcOrd, size_t n) = 0;
};

std::unique_ptr<GpuRuntime> MakeCudaRuntime();
std::unique_ptr<GpuRuntime> MakeHipRuntime();
/** "cuda" or "hip" -> a runtime (nullptr for anything else). */
std::unique_ptr<GpuRuntime> MakeGpuRuntime(const std::string& name);

}  // namespace p2p
