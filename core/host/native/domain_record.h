// A domain's identity and basic state, read on a worker thread and handed to
// JavaScript as one object (listAllDomains, lookupByName, defineXml).
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <string>
#include <utility>

#include "errors.h"

namespace vz {

struct DomainRecord {
  std::string name;
  std::string uuid;
  int id = -1;
  int state = 0;
  bool persistent = false;
  unsigned int vcpus = 0;
  int vcpusMax = 0;
  unsigned long memoryKiB = 0;
  unsigned long maxMemoryKiB = 0;
  unsigned long long cpuTimeNs = 0;
};

// Worker thread. False after filling `err`.
bool ReadDomainRecord(virDomainPtr dom, DomainRecord& r, VzError& err);
// Main thread.
Napi::Object DomainRecordToJs(Napi::Env env, const DomainRecord& r);

// Worker thread: looks the domain up by name, runs f on it, frees it. f captures its own
// errors right after the failing call (virDomainFree resets libvirt's last error).
template <typename F>
bool WithDomain(virConnectPtr conn, const std::string& name, VzError& err, F&& f) {
  virDomainPtr dom = virDomainLookupByName(conn, name.c_str());
  if (dom == nullptr) {
    err = VzError::CaptureLast("virDomainLookupByName");
    return false;
  }
  bool ok = std::forward<F>(f)(dom);
  virDomainFree(dom);
  return ok;
}

}  // namespace vz
