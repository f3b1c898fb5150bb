// N-API glue for the GPU benches: argument checks (TypeError on garbage), the probe as a plain object,
// and an AsyncWorker that runs the copies off the JS thread with a cancel flag.
#include "gpu_worker.h"

#include <atomic>
#include <memory>

#include "gpu_bench.h"
#include "util.h"

namespace p2p {

namespace {

std::string Str(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string("option ") + key + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty() || s.find('\0') != std::string::npos) throw Napi::TypeError::New(env, std::string("option ") + key + " must be a non-empty string");
  return s;
}

GpuBenchOptions ParseGpuOptions(Napi::Env env, const Napi::Object& o) {
  GpuBenchOptions g;
  g.runtime = Str(env, o, "runtime");
  if (g.runtime != "cuda" && g.runtime != "hip") throw Napi::TypeError::New(env, "option runtime must be 'cuda' or 'hip'");
  g.lib = Str(env, o, "lib");
  Napi::Value a = o.Get("a");
  if (!a.IsNumber()) throw Napi::TypeError::New(env, "option a must be a GPU ordinal or -1 (host)");
  double ad = a.As<Napi::Number>().DoubleValue();
  g.a = ad == -1 ? -1 : static_cast<int>(GetUint(env, a, "option a", 0, 1023));
  g.b = static_cast<int>(GetUint(env, o.Get("b"), "option b", 0, 1023));
  g.bytes = static_cast<size_t>(GetUint(env, o.Get("bytes"), "option bytes", 4096, 1ull << 40));
  g.totalBytes = o.Get("totalBytes").IsUndefined() ? 0 : GetUint(env, o.Get("totalBytes"), "option totalBytes", 0, 1ull << 53);
  g.durationMs = o.Get("durationMs").IsUndefined() ? 0 : GetUint(env, o.Get("durationMs"), "option durationMs", 0, 86400000);
  if (!g.totalBytes && !g.durationMs) throw Napi::TypeError::New(env, "set option totalBytes or durationMs");
  Napi::Value cs = o.Get("cases");
  if (!cs.IsArray()) throw Napi::TypeError::New(env, "option cases must be an array of case names");
  Napi::Array arr = cs.As<Napi::Array>();
  static const char* kNames[] = {"htod-pinned", "dtoh-pinned", "htod-pageable", "dtoh-pageable", "peer-ab", "peer-ba", "staged-ab", "staged-ba"};
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    bool ok = false;
    for (const char* n : kNames) ok = ok || s == n;
    if (!ok) throw Napi::TypeError::New(env, "unknown GPU bench case '" + s + "'");
    g.cases.push_back(s);
  }
  if ((g.a >= 0 && g.a == g.b)) throw Napi::TypeError::New(env, "options a and b must be different GPUs");
  return g;
}

Napi::Object CaseToJs(Napi::Env env, const GpuCaseResult& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", c.name);
  o.Set("bytes", static_cast<double>(c.bytes));
  o.Set("copies", static_cast<double>(c.copies));
  o.Set("elapsedSec", c.elapsedSec);
  o.Set("minCopySec", c.minCopySec);
  Napi::Object v = Napi::Object::New(env);
  v.Set("checked", c.verifyChecked);
  v.Set("ok", c.verifyChecked && c.verifyOk);
  if (c.firstBadOffset >= 0) {
    v.Set("firstBadOffset", static_cast<double>(c.firstBadOffset));
    v.Set("expected", c.expected);
    v.Set("actual", c.actual);
  }
  o.Set("verify", v);
  if (!c.error.empty()) o.Set("error", c.error);
  return o;
}

Napi::Value Tri(Napi::Env env, int v) { return v < 0 ? env.Null() : Napi::Boolean::New(env, v == 1); }

class GpuBenchWorker : public Napi::AsyncWorker {
 public:
  GpuBenchWorker(Napi::Env env, GpuBenchOptions o, std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncWorker(env, "p2p.gpubench"), o_(std::move(o)), cancel_(std::move(cancel)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override { ok_ = RunGpuBench(o_, *cancel_, &r_, &setupError_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Reject(Napi::Error::New(env, setupError_).Value());
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    Napi::Array cases = Napi::Array::New(env, r_.cases.size());
    for (size_t i = 0; i < r_.cases.size(); i++) cases.Set(static_cast<uint32_t>(i), CaseToJs(env, r_.cases[i]));
    o.Set("cases", cases);
    o.Set("peerAB", Tri(env, r_.peerAB));
    o.Set("peerBA", Tri(env, r_.peerBA));
    if (!r_.peerError.empty()) o.Set("peerError", r_.peerError);
    o.Set("cancelled", r_.cancelled || cancel_->load());
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  GpuBenchOptions o_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::Promise::Deferred deferred_;
  GpuBenchResult r_;
  std::string setupError_;
  bool ok_ = false;
};

}  // namespace

Napi::Value ProbeGpusJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) throw Napi::TypeError::New(env, "probeGpus(runtime: string, lib: string)");
  std::string runtime = info[0].As<Napi::String>().Utf8Value(), lib = info[1].As<Napi::String>().Utf8Value();
  if (lib.empty() || lib.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "probeGpus: bad library name");
  GpuProbeResult r;
  ProbeGpus(runtime, lib, &r);
  Napi::Object o = Napi::Object::New(env);
  o.Set("runtime", runtime);
  o.Set("lib", lib);
  o.Set("available", r.available);
  if (!r.stage.empty()) o.Set("stage", r.stage);
  if (!r.reason.empty()) o.Set("reason", r.reason);
  if (r.driverVersion) o.Set("driverVersion", r.driverVersion);
  Napi::Array devs = Napi::Array::New(env, r.devices.size());
  for (size_t i = 0; i < r.devices.size(); i++) {
    const GpuDeviceInfo& d = r.devices[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("ordinal", d.ordinal);
    x.Set("pciBusId", d.pciBusId.empty() ? env.Null() : Napi::String::New(env, d.pciBusId));
    x.Set("name", d.name.empty() ? env.Null() : Napi::String::New(env, d.name));
    x.Set("totalMem", d.totalMem ? Napi::Number::New(env, static_cast<double>(d.totalMem)) : env.Null());
    if (!d.error.empty()) x.Set("error", d.error);
    devs.Set(static_cast<uint32_t>(i), x);
  }
  o.Set("devices", devs);
  Napi::Array m = Napi::Array::New(env, r.canAccessPeer.size());
  for (size_t i = 0; i < r.canAccessPeer.size(); i++) {
    Napi::Array row = Napi::Array::New(env, r.canAccessPeer[i].size());
    for (size_t j = 0; j < r.canAccessPeer[i].size(); j++) row.Set(static_cast<uint32_t>(j), Tri(env, r.canAccessPeer[i][j]));
    m.Set(static_cast<uint32_t>(i), row);
  }
  o.Set("canAccessPeer", m);
  return o;
}

Napi::Value StartGpuBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) throw Napi::TypeError::New(env, "startGpuBench(options: object)");
  GpuBenchOptions o = ParseGpuOptions(env, info[0].As<Napi::Object>());
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto* w = new GpuBenchWorker(env, std::move(o), cancel);
  Napi::Promise promise = w->Promise();
  w->Queue();
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", promise);
  handle.Set("cancel", Napi::Function::New(env, [cancel](const Napi::CallbackInfo&) { cancel->store(true); }, "cancel"));
  return handle;
}

}  // namespace p2p
