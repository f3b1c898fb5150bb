#include "gpu_bench.h"

#include <time.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>

#include "gpu_runtime.h"

namespace p2p {

namespace {

double NowSec() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/** Page-aligned pageable host memory. */
struct HostBuf {
  void* p = nullptr;
  ~HostBuf() { std::free(p); }
  bool Alloc(size_t n) { return posix_memalign(&p, 4096, n) == 0; }
  uint8_t* data() const { return static_cast<uint8_t*>(p); }
};

/** Pinned host memory from the runtime. */
struct PinnedBuf {
  GpuRuntime* rt = nullptr;
  void* p = nullptr;
  ~PinnedBuf() { if (rt) rt->HostFreePinned(p); }
  uint8_t* data() const { return static_cast<uint8_t*>(p); }
};

/** Device memory on one GPU. */
struct DevBuf {
  GpuRuntime* rt = nullptr;
  int ord = 0;
  GpuPtr p = 0;
  ~DevBuf() { if (rt) rt->Free(ord, p); }
};

void FillPattern(uint8_t* p, size_t n, uint64_t seed) {
  uint64_t x = seed ? seed : 1;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(p + i, &x, 8);
  }
}

void Compare(const uint8_t* expect, const uint8_t* got, size_t n, GpuCaseResult* r) {
  r->verifyChecked = true;
  r->verifyOk = std::memcmp(expect, got, n) == 0;
  if (r->verifyOk) return;
  for (size_t i = 0; i < n; i++) {
    if (expect[i] != got[i]) {
      r->firstBadOffset = static_cast<int64_t>(i);
      r->expected = expect[i];
      r->actual = got[i];
      return;
    }
  }
}

/** Everything one bench uses: the runtime, the buffers, the options. */
struct Bench {
  const GpuBenchOptions& o;
  const std::atomic<bool>& cancel;
  std::unique_ptr<GpuRuntime> rt;
  HostBuf pattern, pageable, check, zeros;
  PinnedBuf pinned;
  DevBuf da, db;

  /** Repeat `copy` until the byte or time budget is spent (at least once); times the whole loop. */
  void Loop(GpuCaseResult* r, size_t perCopy, const std::function<std::string()>& copy) {
    const double start = NowSec();
    const double limit = o.durationMs ? static_cast<double>(o.durationMs) / 1000.0 : 0;
    r->minCopySec = 1e30;
    for (;;) {
      double t0 = NowSec();
      std::string e = copy();
      double t1 = NowSec();
      if (!e.empty()) { r->error = e; break; }
      r->copies++;
      r->bytes += perCopy;
      if (t1 - t0 < r->minCopySec) r->minCopySec = t1 - t0;
      if (cancel.load()) break;
      if (o.totalBytes && r->bytes >= o.totalBytes) break;
      if (!o.totalBytes && t1 - start >= limit) break;
    }
    r->elapsedSec = NowSec() - start;
    if (!r->copies) r->minCopySec = 0;
  }
  /** Copy device buffer `d` back to host and compare it with the pattern. */
  void VerifyDevice(GpuCaseResult* r, GpuPtr d) {
    if (!r->error.empty()) return;
    std::memset(check.data(), 0, o.bytes);
    std::string e = rt->DtoH(check.data(), d, o.bytes);
    if (!e.empty()) { r->error = "copy back for verification: " + e; return; }
    Compare(pattern.data(), check.data(), o.bytes, r);
  }
  std::string Seed(GpuPtr d) { return rt->HtoD(d, pattern.data(), o.bytes); }
  std::string Clear(GpuPtr d) { return rt->HtoD(d, zeros.data(), o.bytes); }

  GpuCaseResult HostCase(const std::string& name) {
    GpuCaseResult r;
    r.name = name;
    const size_t n = o.bytes;
    const bool pin = name.find("pinned") != std::string::npos;
    uint8_t* host = pin ? pinned.data() : pageable.data();
    std::string e = rt->Select(o.b);
    if (e.empty() && name.rfind("htod", 0) == 0) {
      std::memcpy(host, pattern.data(), n);
      e = Clear(db.p);
      if (e.empty()) Loop(&r, n, [&] { return rt->HtoD(db.p, host, n); });
      if (e.empty()) VerifyDevice(&r, db.p);
    } else if (e.empty()) {
      e = Seed(db.p);
      std::memset(host, 0, n);
      if (e.empty()) Loop(&r, n, [&] { return rt->DtoH(host, db.p, n); });
      if (e.empty() && r.error.empty()) Compare(pattern.data(), host, n, &r);
    }
    if (!e.empty()) r.error = e;
    return r;
  }

  GpuCaseResult PeerCase(const std::string& name, bool peerOk, const std::string& peerWhy) {
    GpuCaseResult r;
    r.name = name;
    const size_t n = o.bytes;
    const bool ab = name.size() >= 2 && name.compare(name.size() - 2, 2, "ab") == 0;
    DevBuf& from = ab ? da : db;
    DevBuf& to = ab ? db : da;
    const bool peer = name.rfind("peer", 0) == 0;
    if (peer && !peerOk) { r.error = peerWhy; return r; }
    std::string e = rt->Select(from.ord);
    if (e.empty()) e = Seed(from.p);
    if (e.empty()) e = rt->Select(to.ord);
    if (e.empty()) e = Clear(to.p);
    if (!e.empty()) { r.error = e; return r; }
    if (peer) {
      Loop(&r, n, [&] { return rt->CopyPeer(to.p, to.ord, from.p, from.ord, n); });
    } else {
      Loop(&r, n, [&] {
        std::string x = rt->Select(from.ord);
        if (x.empty()) x = rt->DtoH(pinned.data(), from.p, n);
        if (x.empty()) x = rt->Select(to.ord);
        return x.empty() ? rt->HtoD(to.p, pinned.data(), n) : x;
      });
    }
    if (r.error.empty()) e = rt->Select(to.ord);
    if (!e.empty()) r.error = e;
    VerifyDevice(&r, to.p);
    return r;
  }
};

std::string DevAlloc(GpuRuntime* rt, int ord, size_t n, DevBuf* b) {
  b->rt = rt;
  b->ord = ord;
  std::string e = rt->Alloc(ord, n, &b->p);
  if (!e.empty()) b->p = 0;
  return e.empty() ? e : e + " (" + std::to_string(n) + " bytes on GPU " + std::to_string(ord) + ")";
}

bool SetUp(Bench& b, std::string* err) {
  const GpuBenchOptions& o = b.o;
  std::string stage, reason;
  if (!b.rt) { *err = "unknown GPU runtime " + o.runtime; return false; }
  if (!b.rt->Load(o.lib, &stage, &reason)) { *err = std::string(b.rt->Name()) + " unavailable (" + stage + "): " + reason; return false; }
  int count = 0;
  std::string e = b.rt->Count(&count);
  if (e.empty() && count == 0) e = "no GPU: the runtime lists 0 devices";
  if (e.empty() && (o.b < 0 || o.b >= count || o.a >= count)) e = "GPU ordinal out of range (the runtime lists " + std::to_string(count) + ")";
  if (e.empty() && !(b.pattern.Alloc(o.bytes) && b.pageable.Alloc(o.bytes) && b.check.Alloc(o.bytes) && b.zeros.Alloc(o.bytes)))
    e = "out of host memory for " + std::to_string(o.bytes) + "-byte buffers";
  if (e.empty()) {
    FillPattern(b.pattern.data(), o.bytes, 0x9E3779B97F4A7C15ull);
    std::memset(b.zeros.data(), 0, o.bytes);
    b.pinned.rt = b.rt.get();
    e = b.rt->Select(o.b);
    if (e.empty()) e = b.rt->HostAllocPinned(o.bytes, &b.pinned.p);
  }
  if (e.empty()) e = DevAlloc(b.rt.get(), o.b, o.bytes, &b.db);
  if (e.empty() && o.a >= 0) e = DevAlloc(b.rt.get(), o.a, o.bytes, &b.da);
  if (!e.empty()) { *err = e; return false; }
  return true;
}

/** Peer access both ways: can the runtime do it, and enable it. Returns why not ("" when both work). */
std::string SetUpPeer(Bench& b, GpuBenchResult* out) {
  const int a = b.o.a, c = b.o.b;
  bool ab = false, ba = false;
  std::string e = b.rt->CanAccessPeer(a, c, &ab);
  if (e.empty()) e = b.rt->CanAccessPeer(c, a, &ba);
  if (!e.empty()) return e;
  out->peerAB = ab ? 1 : 0;
  out->peerBA = ba ? 1 : 0;
  const std::string call = std::string(b.rt->Name()) == "cuda" ? "cuDeviceCanAccessPeer" : "hipDeviceCanAccessPeer";
  if (!ab || !ba)
    return "peer access refused by the driver: " + call + "(" + std::to_string(a) + ", " + std::to_string(c) + ") = " +
           (ab ? "1" : "0") + ", (" + std::to_string(c) + ", " + std::to_string(a) + ") = " + (ba ? "1" : "0");
  e = b.rt->EnablePeer(a, c);
  if (e.empty()) e = b.rt->EnablePeer(c, a);
  return e;
}

}  // namespace

void ProbeGpus(const std::string& runtime, const std::string& lib, GpuProbeResult* out) {
  std::unique_ptr<GpuRuntime> rt = MakeGpuRuntime(runtime);
  if (!rt) { out->stage = "runtime"; out->reason = "unknown GPU runtime " + runtime; return; }
  if (!rt->Load(lib, &out->stage, &out->reason)) return;
  out->driverVersion = rt->DriverVersion();
  int count = 0;
  std::string e = rt->Count(&count);
  if (!e.empty()) { out->stage = "count"; out->reason = e; return; }
  for (int i = 0; i < count && i < 1024; i++) {
    GpuDeviceInfo d;
    d.ordinal = i;
    std::string e1 = rt->PciBusId(i, &d.pciBusId), e2 = rt->DeviceName(i, &d.name), e3 = rt->TotalMem(i, &d.totalMem);
    d.error = !e1.empty() ? e1 : !e2.empty() ? e2 : e3;
    out->devices.push_back(d);
  }
  out->canAccessPeer.assign(out->devices.size(), std::vector<int>(out->devices.size(), -1));
  for (size_t i = 0; i < out->devices.size(); i++) {
    for (size_t j = 0; j < out->devices.size(); j++) {
      if (i == j) continue;
      bool yes = false;
      if (rt->CanAccessPeer(static_cast<int>(i), static_cast<int>(j), &yes).empty()) out->canAccessPeer[i][j] = yes ? 1 : 0;
    }
  }
  if (count == 0) { out->stage = "no-device"; out->reason = "no GPU: the runtime lists 0 devices"; return; }
  out->available = true;
  out->stage.clear();
}

bool RunGpuBench(const GpuBenchOptions& o, const std::atomic<bool>& cancel, GpuBenchResult* out, std::string* setupError) {
  Bench b{o, cancel, MakeGpuRuntime(o.runtime), {}, {}, {}, {}, {}, {}, {}};
  if (!SetUp(b, setupError)) return false;
  std::string peerWhy;
  if (o.a >= 0) {
    peerWhy = SetUpPeer(b, out);
    out->peerError = peerWhy;
  }
  for (const std::string& c : o.cases) {
    if (cancel.load()) { out->cancelled = true; break; }
    if (c.rfind("peer", 0) == 0 || c.rfind("staged", 0) == 0) {
      if (o.a < 0) continue;
      out->cases.push_back(b.PeerCase(c, peerWhy.empty(), peerWhy));
    } else {
      out->cases.push_back(b.HostCase(c));
    }
  }
  return true;
}

}  // namespace p2p
