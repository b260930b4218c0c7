#include "conn_state.h"

#include <utility>

namespace vz {

void ConnState::Attach(virConnectPtr adopted, EventRegistration registration, std::shared_ptr<EventSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  conn_ = adopted;
  registration_ = registration;
  sink_ = std::move(sink);
}

ConnRef ConnState::Acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn_ == nullptr) return ConnRef();
  virConnectRef(conn_);
  return ConnRef(conn_);
}

ConnState::Detached ConnState::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  Detached d;
  d.conn = ConnRef(std::exchange(conn_, nullptr));
  d.registration = std::exchange(registration_, EventRegistration{});
  d.sink = std::move(sink_);
  return d;
}

void Teardown(ConnState::Detached& d) {
  if (d.conn) {
    UnregisterEvents(d.conn.get(), d.registration);
    d.conn.Reset();
  }
  if (d.sink) ReleaseEventSink(*d.sink);
}

}  // namespace vz
