// A libvirt connection as a JavaScript object. Every blocking call is a Promise that runs
// on a libuv worker thread; events reach JavaScript through a thread-safe function.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>

#include "worker.h"

namespace vz {

// What the event loop thread hands to JavaScript.
struct EventData {
  enum class Kind { Lifecycle, Closed };
  Kind kind = Kind::Lifecycle;
  std::string name;
  std::string uuid;
  int event = 0;   // virDomainEventType
  int detail = 0;  // per-event detail enum
  int reason = 0;  // virConnectCloseReason
};

class EventSink;

// Connection state shared by the JavaScript object and the calls in flight.
struct ConnState {
  std::string uri;
  std::string keepalive;  // how virConnectSetKeepAlive went, for diagnostics
  bool events = false;    // lifecycle events registered

  // Everything a close must undo, moved out under the lock so it happens exactly once.
  struct Detached {
    ConnRef conn;
    int lifecycleCallbackId = -1;
    bool closeCallbackRegistered = false;
    std::shared_ptr<EventSink> sink;
  };

  // Set once at open, cleared by Detach().
  void Attach(virConnectPtr adopted, int lifecycleCallbackId, bool closeCallbackRegistered,
              std::shared_ptr<EventSink> sink);
  // A new reference for one call; empty once the connection is closed.
  ConnRef Acquire();
  Detached Detach();

 private:
  std::mutex mu_;
  virConnectPtr conn_ = nullptr;
  int lifecycleCallbackId_ = -1;
  bool closeCallbackRegistered_ = false;
  std::shared_ptr<EventSink> sink_;
};

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
  Napi::Value NodeInfo(const Napi::CallbackInfo& info);
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info);
  Napi::Value LookupByName(const Napi::CallbackInfo& info);
  Napi::Value GetXml(const Napi::CallbackInfo& info);
  Napi::Value DefineXml(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value GetAllDomainStats(const Napi::CallbackInfo& info);
  Napi::Value SetVcpus(const Napi::CallbackInfo& info);
  Napi::Value SetMemory(const Napi::CallbackInfo& info);
  Napi::Value GetSchedulerParams(const Napi::CallbackInfo& info);
  Napi::Value SetSchedulerParams(const Napi::CallbackInfo& info);
  Napi::Value GetMemoryParams(const Napi::CallbackInfo& info);
  Napi::Value SetMemoryParams(const Napi::CallbackInfo& info);
  Napi::Value GetMetadata(const Napi::CallbackInfo& info);
  Napi::Value SetMetadata(const Napi::CallbackInfo& info);

  std::shared_ptr<ConnState> state_;
};

// open(uri, {readOnly, keepaliveInterval, keepaliveCount, events}, onEvent?) -> Promise<Connection>
Napi::Value Open(const Napi::CallbackInfo& info);

}  // namespace vz
