// A libvirt connection as a JavaScript object. Every blocking call is a Promise that runs
// on a thread of the addon's call pool (the operations are in operations.cc); events reach
// JavaScript through a thread-safe function (events.cc).
#pragma once

#include <napi.h>

#include <memory>

#include "conn_state.h"

namespace vz {

class Connection : public Napi::ObjectWrap<Connection> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  static Napi::Object NewInstance(Napi::Env env, std::shared_ptr<ConnState> state);

  explicit Connection(const Napi::CallbackInfo& info);
  ~Connection() override;

 private:
  Napi::Value Uri(const Napi::CallbackInfo& info);
  Napi::Value Keepalive(const Napi::CallbackInfo& info);
  Napi::Value EventsEnabled(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsAlive(const Napi::CallbackInfo& info);
  // Every method of the operations table; info.Data() is its row.
  Napi::Value RunOperation(const Napi::CallbackInfo& info);

  std::shared_ptr<ConnState> state_;
};

}  // namespace vz
