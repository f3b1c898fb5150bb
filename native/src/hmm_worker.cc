// N-API glue for the HMM migration bench: argument checks (TypeError on garbage), an AsyncWorker that
// runs the reps off the JS thread with a cancel flag, and the result as a plain object.
#include "hmm_worker.h"

#include <atomic>
#include <memory>

#include "hmm_bench.h"
#include "util.h"

namespace p2p {

namespace {

HmmBenchOptions ParseHmmOptions(Napi::Env env, const Napi::Object& o) {
  HmmBenchOptions h;
  Napi::Value dev = o.Get("device");
  if (!dev.IsString()) throw Napi::TypeError::New(env, "option device must be a string");
  h.device = dev.As<Napi::String>().Utf8Value();
  if (h.device.empty() || h.device.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "option device must be a non-empty path");
  h.bytes = GetUint(env, o.Get("bytes"), "option bytes", 1, 1ull << 40);
  h.reps = static_cast<uint32_t>(GetUint(env, o.Get("reps"), "option reps", 1, 1000));
  Napi::Value back = o.Get("back");
  std::string b = back.IsUndefined() ? "migrate" : back.IsString() ? back.As<Napi::String>().Utf8Value() : "";
  if (b != "migrate" && b != "fault") throw Napi::TypeError::New(env, "option back must be 'migrate' or 'fault'");
  h.faultBack = b == "fault";
  h.seed = o.Get("seed").IsUndefined() ? 1 : GetUint(env, o.Get("seed"), "option seed", 0, 1ull << 53);
  return h;
}

Napi::Object CheckToJs(Napi::Env env, const HmmCheck& c) {
  Napi::Object v = Napi::Object::New(env);
  v.Set("checked", c.checked);
  v.Set("ok", c.checked && c.ok);
  if (c.firstBadOffset >= 0) {
    v.Set("firstBadOffset", static_cast<double>(c.firstBadOffset));
    v.Set("expected", c.expected);
    v.Set("actual", c.actual);
  }
  return v;
}

Napi::Object RepToJs(Napi::Env env, const HmmRep& r) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Object to = Napi::Object::New(env);
  to.Set("sec", r.toDeviceSec);
  to.Set("pages", static_cast<double>(r.toDevicePages));
  o.Set("toDevice", to);
  o.Set("onDevicePages", static_cast<double>(r.onDevicePages));
  Napi::Object rd = Napi::Object::New(env);
  rd.Set("sec", r.deviceReadSec);
  rd.Set("faults", static_cast<double>(r.deviceReadFaults));
  o.Set("deviceRead", rd);
  o.Set("deviceVerify", CheckToJs(env, r.deviceView));
  Napi::Object back = Napi::Object::New(env);
  back.Set("sec", r.toSystemSec);
  back.Set("pages", static_cast<double>(r.toSystemPages));
  o.Set("toSystem", back);
  o.Set("leftOnDevicePages", static_cast<double>(r.leftOnDevicePages));
  o.Set("cpuVerify", CheckToJs(env, r.cpuView));
  return o;
}

class HmmBenchWorker : public Napi::AsyncWorker {
 public:
  HmmBenchWorker(Napi::Env env, HmmBenchOptions o, std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncWorker(env, "p2p.hmmbench"), o_(std::move(o)), cancel_(std::move(cancel)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override { ok_ = RunHmmBench(o_, *cancel_, &r_, &se_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      Napi::Error err = Napi::Error::New(env, se_.message);
      if (se_.err) err.Set("code", Napi::String::New(env, ErrnoName(se_.err)));
      deferred_.Reject(err.Value());
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("device", o_.device);
    o.Set("bytes", static_cast<double>(o_.bytes));
    o.Set("pageSize", static_cast<double>(r_.pageSize));
    o.Set("back", o_.faultBack ? "fault" : "migrate");
    Napi::Array reps = Napi::Array::New(env, r_.reps.size());
    for (size_t i = 0; i < r_.reps.size(); i++) reps.Set(static_cast<uint32_t>(i), RepToJs(env, r_.reps[i]));
    o.Set("reps", reps);
    if (!r_.error.empty()) {
      o.Set("error", r_.error);
      o.Set("errorCode", r_.errorCode);
      o.Set("failedStep", r_.failedStep);
    }
    o.Set("cancelled", r_.cancelled);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  HmmBenchOptions o_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::Promise::Deferred deferred_;
  HmmBenchResult r_;
  SetupError se_;
  bool ok_ = false;
};

}  // namespace

Napi::Value StartHmmBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) throw Napi::TypeError::New(env, "startHmmBench(options: object)");
  HmmBenchOptions o = ParseHmmOptions(env, info[0].As<Napi::Object>());
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto* w = new HmmBenchWorker(env, std::move(o), cancel);
  Napi::Promise promise = w->Promise();
  w->Queue();  // the worker deletes itself after OnOK/OnError
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", promise);
  handle.Set("cancel", Napi::Function::New(env, [cancel](const Napi::CallbackInfo&) { cancel->store(true); }, "cancel"));
  return handle;
}

}  // namespace p2p
