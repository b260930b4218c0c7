#include "event_loop.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace vz {

namespace {

std::once_flag g_eventLoopOnce;

void RunEventLoop() {
  for (;;) {
    if (virEventRunDefaultImpl() < 0) {
      // Only fails on a broken poll(); back off instead of spinning.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace

void EnsureEventLoop() {
  std::call_once(g_eventLoopOnce, [] {
    virInitialize();
    virEventRegisterDefaultImpl();
    std::thread(RunEventLoop).detach();
  });
}

}  // namespace vz
