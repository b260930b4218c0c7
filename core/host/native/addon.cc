// virtzone_libvirt: the N-API addon over libvirt's C API. The TypeScript side is
// core/host/native.ts (typings, loading) and core/host/libvirt-host.ts (HostAdapter).
#include "addon.h"

#include <libvirt/libvirt.h>
#include <napi.h>

#include "call_pool.h"
#include "connection.h"
#include "errors.h"
#include "event_loop.h"
#include "open.h"

namespace vz {

static Napi::Value SetErrorFactoryJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorFactory expects a function (info) => Error");
  }
  SetErrorFactory(info.Env(), info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// libvirt library version as major * 1,000,000 + minor * 1,000 + release (local, no I/O).
static Napi::Value LibvirtVersion(const Napi::CallbackInfo& info) {
  unsigned long version = 0;
  if (virGetVersion(&version, nullptr, nullptr) < 0) {
    throw Napi::Error::New(info.Env(), "virGetVersion failed");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(version));
}

// setCallThreads(n): grows the addon's call pool to at least n threads (it never shrinks).
static Napi::Value SetCallThreadsJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setCallThreads expects a number");
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1 || n > 256) throw Napi::RangeError::New(info.Env(), "setCallThreads: between 1 and 256 threads");
  CallPool::Instance().EnsureThreads(static_cast<unsigned>(n));
  return info.Env().Undefined();
}

// callPool(): { threads, busy, queued } of the addon's call pool, for diagnostics and tests.
static Napi::Value CallPoolJs(const Napi::CallbackInfo& info) {
  CallPoolStats stats = CallPool::Instance().Stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", Napi::Number::New(info.Env(), stats.threads));
  o.Set("busy", Napi::Number::New(info.Env(), stats.busy));
  o.Set("queued", Napi::Number::New(info.Env(), static_cast<double>(stats.queued)));
  return o;
}

// The flag and enum values the TypeScript layer passes back in, from the real header.
static Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
#define VZ_CONST(name) c.Set(#name, Napi::Number::New(env, static_cast<double>(name)))
  VZ_CONST(VIR_DOMAIN_AFFECT_CURRENT);
  VZ_CONST(VIR_DOMAIN_AFFECT_LIVE);
  VZ_CONST(VIR_DOMAIN_AFFECT_CONFIG);
  VZ_CONST(VIR_DOMAIN_XML_SECURE);
  VZ_CONST(VIR_DOMAIN_XML_INACTIVE);
  VZ_CONST(VIR_DOMAIN_METADATA_DESCRIPTION);
  VZ_CONST(VIR_DOMAIN_METADATA_TITLE);
  VZ_CONST(VIR_DOMAIN_METADATA_ELEMENT);
  VZ_CONST(VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
  VZ_CONST(VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
  VZ_CONST(VIR_DOMAIN_UNDEFINE_NVRAM);
  VZ_CONST(VIR_DOMAIN_UNDEFINE_KEEP_NVRAM);
  VZ_CONST(VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA);
  VZ_CONST(VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
  VZ_CONST(VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS);
  VZ_CONST(VIR_DOMAIN_STATS_STATE);
  VZ_CONST(VIR_DOMAIN_STATS_CPU_TOTAL);
  VZ_CONST(VIR_DOMAIN_STATS_BALLOON);
  VZ_CONST(VIR_DOMAIN_STATS_VCPU);
  VZ_CONST(VIR_DOMAIN_STATS_INTERFACE);
  VZ_CONST(VIR_DOMAIN_STATS_BLOCK);
  VZ_CONST(VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
  VZ_CONST(VIR_CONNECT_CLOSE_REASON_ERROR);
  VZ_CONST(VIR_CONNECT_CLOSE_REASON_EOF);
  VZ_CONST(VIR_CONNECT_CLOSE_REASON_KEEPALIVE);
  VZ_CONST(VIR_CONNECT_CLOSE_REASON_CLIENT);
#undef VZ_CONST
  return c;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  SilenceDefaultErrorPrinting();
  // Before any virConnectOpen, as libvirt requires for events and keepalive.
  EnsureEventLoop();

  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  data->connectionCtor = Napi::Persistent(Connection::DefineClass(env));
  data->completions = CompletionPort::New(env);

  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactoryJs, "setErrorFactory"));
  exports.Set("libvirtVersion", Napi::Function::New(env, LibvirtVersion, "libvirtVersion"));
  exports.Set("setCallThreads", Napi::Function::New(env, SetCallThreadsJs, "setCallThreads"));
  exports.Set("callPool", Napi::Function::New(env, CallPoolJs, "callPool"));
  exports.Set("constants", Constants(env));
  return exports;
}

}  // namespace vz

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return vz::Init(env, exports); }

NODE_API_MODULE(virtzone_libvirt, InitModule)
