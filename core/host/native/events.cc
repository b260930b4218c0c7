#include "events.h"

#include <libvirt/virterror.h>

#include <mutex>

namespace vz {

namespace {

void CallJsEvent(Napi::Env env, Napi::Function callback, std::nullptr_t* /*ctx*/, EventData* data);
using EventTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, EventData, CallJsEvent>;

}  // namespace

// Owns the thread-safe function of one connection. libvirt may still hold a pointer to
// the sink (as a callback's opaque data) after JavaScript is gone, and the function may be
// finalized by Node.js at exit before libvirt lets go, so every use goes through the lock
// and the `open_` flag.
class EventSink {
 public:
  void Attach(EventTsfn tsfn) {
    std::lock_guard<std::mutex> lock(mu_);
    tsfn_ = tsfn;
    open_ = true;
  }

  void Post(EventData* data) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!open_ || tsfn_.NonBlockingCall(data) != napi_ok) delete data;
  }

  // Any thread, idempotent: no more events after this.
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    if (open_) {
      open_ = false;
      tsfn_.Release();
    }
  }

  // Main thread, from the function's finalizer (e.g. Node.js tearing down).
  void MarkFinalized() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }

 private:
  std::mutex mu_;
  bool open_ = false;
  EventTsfn tsfn_;
};

namespace {

void CallJsEvent(Napi::Env env, Napi::Function callback, std::nullptr_t* /*ctx*/, EventData* data) {
  std::unique_ptr<EventData> owned(data);
  if (env == nullptr || callback.IsEmpty() || data == nullptr) return;
  Napi::Object event = Napi::Object::New(env);
  if (data->kind == EventData::Kind::Lifecycle) {
    event.Set("type", "lifecycle");
    event.Set("name", data->name);
    event.Set("uuid", data->uuid);
    event.Set("event", data->event);
    event.Set("detail", data->detail);
  } else {
    event.Set("type", "closed");
    event.Set("reason", data->reason);
  }
  callback.Call({event});
}

// libvirt's opaque data for each registration: one shared reference to the sink, freed
// by libvirt through FreeSinkRef when the registration goes away.
std::shared_ptr<EventSink>* NewSinkRef(const std::shared_ptr<EventSink>& sink) {
  return new std::shared_ptr<EventSink>(sink);
}
void FreeSinkRef(void* opaque) { delete static_cast<std::shared_ptr<EventSink>*>(opaque); }

int OnLifecycle(virConnectPtr /*conn*/, virDomainPtr dom, int event, int detail, void* opaque) {
  auto* sink = static_cast<std::shared_ptr<EventSink>*>(opaque);
  auto* data = new EventData();
  data->kind = EventData::Kind::Lifecycle;
  const char* name = virDomainGetName(dom);
  data->name = name != nullptr ? name : "";
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (virDomainGetUUIDString(dom, uuid) == 0) data->uuid = uuid;
  data->event = event;
  data->detail = detail;
  (*sink)->Post(data);
  return 0;
}

void OnConnectionClosed(virConnectPtr /*conn*/, int reason, void* opaque) {
  auto* sink = static_cast<std::shared_ptr<EventSink>*>(opaque);
  auto* data = new EventData();
  data->kind = EventData::Kind::Closed;
  data->reason = reason;
  (*sink)->Post(data);
}

}  // namespace

std::shared_ptr<EventSink> NewEventSink(Napi::Env env, Napi::Function onEvent) {
  auto sink = std::make_shared<EventSink>();
  auto* weak = new std::weak_ptr<EventSink>(sink);
  EventTsfn tsfn = EventTsfn::New(
      env, onEvent, "virtzone:libvirt-events", 0, 1, static_cast<std::nullptr_t*>(nullptr),
      [](Napi::Env, std::weak_ptr<EventSink>* w, std::nullptr_t*) {
        if (auto s = w->lock()) s->MarkFinalized();
        delete w;
      },
      weak);
  // Events alone must not keep the process alive.
  tsfn.Unref(env);
  sink->Attach(tsfn);
  return sink;
}

void ReleaseEventSink(EventSink& sink) { sink.Release(); }

EventRegistration RegisterEvents(virConnectPtr conn, const std::shared_ptr<EventSink>& sink, bool lifecycle) {
  EventRegistration r;
  if (lifecycle) {
    auto* opaque = NewSinkRef(sink);
    r.lifecycleCallbackId = virConnectDomainEventRegisterAny(
        conn, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle), opaque, FreeSinkRef);
    // On failure libvirt did not take the opaque data; a driver without events is
    // still usable, so this is not fatal. (The small reference is left, not freed,
    // in case a driver freed it already: a leak beats a double free.)
    if (r.lifecycleCallbackId < 0) virResetLastError();
  }
  auto* opaque = NewSinkRef(sink);
  r.closeCallbackRegistered = virConnectRegisterCloseCallback(conn, OnConnectionClosed, opaque, FreeSinkRef) == 0;
  if (!r.closeCallbackRegistered) virResetLastError();
  return r;
}

void UnregisterEvents(virConnectPtr conn, const EventRegistration& registration) {
  if (registration.lifecycleCallbackId >= 0) virConnectDomainEventDeregisterAny(conn, registration.lifecycleCallbackId);
  if (registration.closeCallbackRegistered) virConnectUnregisterCloseCallback(conn, OnConnectionClosed);
}

}  // namespace vz
