// open(): connects to libvirt on a worker thread and resolves to a Connection.
#pragma once

#include <napi.h>

namespace vz {

// open(uri, {readOnly, keepaliveInterval, keepaliveCount, events}, onEvent?) -> Promise<Connection>
Napi::Value Open(const Napi::CallbackInfo& info);

}  // namespace vz
