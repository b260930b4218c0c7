// libvirt's default event loop, run on one dedicated native thread for the whole process.
// Domain events, keepalive and close callbacks only work while an event loop runs.
#pragma once

namespace vz {

// Registers libvirt's default event implementation (must happen before the first
// virConnectOpen) and starts the thread that runs it. Idempotent and thread-safe.
// The thread never keeps Node.js alive: it is detached, and the JavaScript side of the
// events is an unref'ed thread-safe function.
void EnsureEventLoop();

}  // namespace vz
