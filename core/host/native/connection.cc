#include "connection.h"

#include <thread>
#include <utility>
#include <vector>

#include "addon.h"
#include "operations.h"
#include "worker.h"

namespace vz {

Napi::Function Connection::DefineClass(Napi::Env env) {
  std::vector<Napi::ClassPropertyDescriptor<Connection>> properties = {
      InstanceAccessor<&Connection::Uri>("uri"),
      InstanceAccessor<&Connection::Keepalive>("keepalive"),
      InstanceAccessor<&Connection::EventsEnabled>("events"),
      InstanceMethod<&Connection::IsClosed>("isClosed"),
      InstanceMethod<&Connection::Close>("close"),
      InstanceMethod<&Connection::IsAlive>("isAlive"),
  };
  for (const Operation& op : Operations()) {
    properties.push_back(
        InstanceMethod(op.name, &Connection::RunOperation, napi_default, const_cast<Operation*>(&op)));
  }
  return ObjectWrap<Connection>::DefineClass(env, "Connection", properties);
}

Napi::Object Connection::NewInstance(Napi::Env env, std::shared_ptr<ConnState> state) {
  auto* holder = new std::shared_ptr<ConnState>(std::move(state));
  auto external = Napi::External<std::shared_ptr<ConnState>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<ConnState>* h) { delete h; });
  return GetAddonData(env)->connectionCtor.New({external});
}

Connection::Connection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connection>(info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "Connection cannot be constructed directly: use open()");
  }
  state_ = *info[0].As<Napi::External<std::shared_ptr<ConnState>>>().Data();
}

Connection::~Connection() {
  if (!state_) return;
  ConnState::Detached d = state_->Detach();
  if (!d.conn && !d.sink) return;
  // Garbage-collected without close(): undo everything off the main thread, since
  // unregistering and closing may be round trips to libvirtd.
  std::thread([d = std::move(d)]() mutable { Teardown(d); }).detach();
}

Napi::Value Connection::Uri(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), state_->uri); }
Napi::Value Connection::Keepalive(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), state_->keepalive);
}
Napi::Value Connection::EventsEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), state_->events);
}
Napi::Value Connection::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !state_->Acquire());
}

Napi::Value Connection::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto detached = std::make_shared<ConnState::Detached>(state_->Detach());
  // Closing twice is not an error: the second close has nothing left to do.
  return CallWorker<bool>::Queue(
      env, ConnRef(),
      [detached](virConnectPtr, bool&, VzError&) {
        Teardown(*detached);
        return true;
      },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

// Not a table operation: on a closed connection it resolves false instead of rejecting.
Napi::Value Connection::IsAlive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConnRef ref = state_->Acquire();
  if (!ref) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(Napi::Boolean::New(env, false));
    return d.Promise();
  }
  return CallWorker<int>::Queue(
      env, std::move(ref),
      [](virConnectPtr c, int& alive, VzError& err) {
        alive = virConnectIsAlive(c);
        if (alive < 0) err = VzError::CaptureLast("virConnectIsAlive");
        return alive >= 0;
      },
      [](Napi::Env env, int& alive) { return Napi::Boolean::New(env, alive == 1); });
}

Napi::Value Connection::RunOperation(const Napi::CallbackInfo& info) {
  return static_cast<const Operation*>(info.Data())->run(info, *state_);
}

}  // namespace vz
