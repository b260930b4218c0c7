#include "domain_record.h"

namespace vz {

bool ReadDomainRecord(virDomainPtr dom, DomainRecord& r, VzError& err) {
  const char* name = virDomainGetName(dom);
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (name == nullptr || virDomainGetUUIDString(dom, uuid) < 0) {
    err = VzError::CaptureLast("virDomainGetName/UUIDString");
    return false;
  }
  r.name = name;
  r.uuid = uuid;
  unsigned int id = virDomainGetID(dom);
  r.id = id == static_cast<unsigned int>(-1) ? -1 : static_cast<int>(id);
  virDomainInfo info;
  if (virDomainGetInfo(dom, &info) < 0) {
    err = VzError::CaptureLast("virDomainGetInfo");
    return false;
  }
  r.state = info.state;
  r.vcpus = info.nrVirtCpu;
  r.memoryKiB = info.memory;
  r.maxMemoryKiB = info.maxMem;
  r.cpuTimeNs = info.cpuTime;
  int persistent = virDomainIsPersistent(dom);
  if (persistent < 0) {
    err = VzError::CaptureLast("virDomainIsPersistent");
    return false;
  }
  r.persistent = persistent == 1;
  // The maximum of the state the domain is in (live when running, else config).
  int max = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_CURRENT | VIR_DOMAIN_VCPU_MAXIMUM);
  if (max < 0 && r.id >= 0) max = virDomainGetMaxVcpus(dom);
  r.vcpusMax = max >= 0 ? max : static_cast<int>(r.vcpus);
  virResetLastError();
  return true;
}

Napi::Object DomainRecordToJs(Napi::Env env, const DomainRecord& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", r.name);
  o.Set("uuid", r.uuid);
  o.Set("id", r.id);
  o.Set("state", r.state);
  o.Set("persistent", r.persistent);
  o.Set("vcpus", r.vcpus);
  o.Set("vcpusMax", r.vcpusMax);
  o.Set("memoryKiB", static_cast<double>(r.memoryKiB));
  o.Set("maxMemoryKiB", static_cast<double>(r.maxMemoryKiB));
  o.Set("cpuTimeNs", Napi::BigInt::New(env, static_cast<uint64_t>(r.cpuTimeNs)));
  return o;
}

}  // namespace vz
