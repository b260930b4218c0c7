// Domain lifecycle and connection-close events: libvirt calls back on the event loop
// thread (event_loop.cc); an EventSink forwards each event to the connection's
// JavaScript callback through a thread-safe function.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <memory>
#include <string>

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

// Main thread: a sink calling `onEvent` with each event as a JavaScript object. Events
// alone do not keep the process alive (the thread-safe function is unref'ed).
std::shared_ptr<EventSink> NewEventSink(Napi::Env env, Napi::Function onEvent);

// Any thread, idempotent: no more events reach JavaScript after this.
void ReleaseEventSink(EventSink& sink);

// What RegisterEvents managed to register, for UnregisterEvents.
struct EventRegistration {
  int lifecycleCallbackId = -1;
  bool closeCallbackRegistered = false;
};

// Blocking (worker thread): registers the close callback and, when `lifecycle`, the
// domain lifecycle callback, both posting to `sink`. Failures are not fatal (a driver
// without events is still usable): what failed is simply not registered.
EventRegistration RegisterEvents(virConnectPtr conn, const std::shared_ptr<EventSink>& sink, bool lifecycle);

// Blocking (worker or detached thread): undoes RegisterEvents. Errors are ignored, since
// a close must always complete (e.g. the close callback is already gone after it fired).
void UnregisterEvents(virConnectPtr conn, const EventRegistration& registration);

}  // namespace vz
