// The state of one open libvirt connection, shared by its JavaScript object and the
// calls in flight, so that a close (explicit or by garbage collection) happens exactly
// once while calls still running keep their own reference.
#pragma once

#include <libvirt/libvirt.h>

#include <memory>
#include <mutex>
#include <string>

#include "events.h"
#include "worker.h"

namespace vz {

struct ConnState {
  std::string uri;
  std::string keepalive;  // how virConnectSetKeepAlive went, for diagnostics
  bool events = false;    // lifecycle events registered

  // Everything a close must undo, moved out under the lock so it happens exactly once.
  struct Detached {
    ConnRef conn;
    EventRegistration registration;
    std::shared_ptr<EventSink> sink;
  };

  // Set once at open, cleared by Detach().
  void Attach(virConnectPtr adopted, EventRegistration registration, std::shared_ptr<EventSink> sink);
  // A new reference for one call; empty once the connection is closed.
  ConnRef Acquire();
  Detached Detach();

 private:
  std::mutex mu_;
  virConnectPtr conn_ = nullptr;
  EventRegistration registration_;
  std::shared_ptr<EventSink> sink_;
};

// Blocking (may talk to libvirtd): only on a worker or a detached thread. Undoes what
// Detach() moved out: the event callbacks first (they hold references on the
// connection), then the connection, then the sink.
void Teardown(ConnState::Detached& d);

}  // namespace vz
