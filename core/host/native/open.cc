#include "open.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <memory>
#include <string>
#include <utility>

#include "args.h"
#include "call_pool.h"
#include "conn_state.h"
#include "connection.h"
#include "event_loop.h"
#include "events.h"
#include "worker.h"

namespace vz {

namespace {

struct OpenResult {
  virConnectPtr conn = nullptr;
  EventRegistration registration;
  std::string keepalive;
};

// Worker thread: turns on keepalive and says how it went, for diagnostics.
std::string SetKeepalive(virConnectPtr conn, int interval, unsigned int count) {
  if (interval <= 0) return "disabled";
  int rc = virConnectSetKeepAlive(conn, interval, count);
  if (rc == 0) return "enabled";
  if (rc == 1) return "unsupported by the server";
  VzError ka = VzError::CaptureLast("virConnectSetKeepAlive");
  // Local drivers (test://, qemu:///embed ...) have no link to keep alive.
  return ka.code == VIR_ERR_NO_SUPPORT ? "not applicable" : "failed: " + ka.message;
}

}  // namespace

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uri = ArgString(info, 0, "uri");
  bool readOnly = false;
  bool events = true;
  int keepaliveInterval = 0;
  unsigned int keepaliveCount = 0;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object opts = info[1].As<Napi::Object>();
    readOnly = opts.Get("readOnly").ToBoolean();
    if (opts.Has("events") && !opts.Get("events").IsUndefined()) events = opts.Get("events").ToBoolean();
    if (opts.Get("keepaliveInterval").IsNumber()) keepaliveInterval = opts.Get("keepaliveInterval").As<Napi::Number>().Int32Value();
    if (opts.Get("keepaliveCount").IsNumber()) keepaliveCount = opts.Get("keepaliveCount").As<Napi::Number>().Uint32Value();
    if (opts.Get("callThreads").IsNumber()) {
      int threads = opts.Get("callThreads").As<Napi::Number>().Int32Value();
      if (threads < 1 || threads > 256) throw Napi::RangeError::New(env, "callThreads: between 1 and 256");
      CallPool::Instance().EnsureThreads(static_cast<unsigned>(threads));
    }
  }
  bool haveCallback = info.Length() > 2 && info[2].IsFunction();
  if (info.Length() > 2 && !haveCallback && !info[2].IsUndefined() && !info[2].IsNull()) {
    throw Napi::TypeError::New(env, "onEvent must be a function");
  }

  EnsureEventLoop();

  std::shared_ptr<EventSink> sink;
  if (haveCallback) sink = NewEventSink(env, info[2].As<Napi::Function>());

  auto state = std::make_shared<ConnState>();
  state->uri = uri;
  state->events = events && haveCallback;

  return CallWorker<OpenResult>::Queue(
      env, ConnRef(),
      [uri, readOnly, events, keepaliveInterval, keepaliveCount, sink](virConnectPtr, OpenResult& out, VzError& err) {
        out.conn = readOnly ? virConnectOpenReadOnly(uri.c_str()) : virConnectOpen(uri.c_str());
        if (out.conn == nullptr) {
          err = VzError::CaptureLast("virConnectOpen");
          return false;
        }
        if (sink) out.registration = RegisterEvents(out.conn, sink, events);
        out.keepalive = SetKeepalive(out.conn, keepaliveInterval, keepaliveCount);
        return true;
      },
      [state, sink](Napi::Env env, OpenResult& r) {
        state->keepalive = r.keepalive;
        state->Attach(std::exchange(r.conn, nullptr), r.registration, sink);
        return Connection::NewInstance(env, state);
      },
      [sink]() {
        if (sink) ReleaseEventSink(*sink);
      });
}

}  // namespace vz
