#include "operations.h"

#include <libvirt/virterror.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "args.h"
#include "domain_params.h"
#include "domain_record.h"
#include "typed_params.h"
#include "worker.h"

namespace vz {

namespace {

VzError ClosedError(const std::string& uri) {
  return VzError::Make(VIR_ERR_INVALID_CONN, "the libvirt connection to '" + uri + "' is closed");
}

// A table row from its parts. The arguments are read before the connection is checked,
// so a bad call is a TypeError even on a closed connection.
template <typename Args, typename Result>
Operation Define(const char* name, Args (*parse)(const Napi::CallbackInfo& info),
                 bool (*call)(virConnectPtr conn, const Args& args, Result& out, VzError& err),
                 Napi::Value (*convert)(Napi::Env env, Result& out)) {
  return Operation{name, [parse, call, convert](const Napi::CallbackInfo& info, ConnState& state) -> Napi::Value {
                     Napi::Env env = info.Env();
                     Args args = parse(info);
                     ConnRef ref = state.Acquire();
                     if (!ref) return RejectedPromise(env, ClosedError(state.uri));
                     return CallWorker<Result>::Queue(
                         env, std::move(ref),
                         [call, args = std::move(args)](virConnectPtr c, Result& out, VzError& err) {
                           return call(c, args, out, err);
                         },
                         convert);
                   }};
}

// Runs a domain call that returns an int status (< 0 on failure) on the named domain.
template <typename F>
bool DomainStatusCall(virConnectPtr conn, const std::string& name, const char* what, VzError& err, F&& f) {
  return WithDomain(conn, name, err, [&](virDomainPtr d) {
    if (f(d) < 0) {
      err = VzError::CaptureLast(what);
      return false;
    }
    return true;
  });
}

// ------------------------------------------------------------------------- arguments

struct NoArgs {};
NoArgs ParseNoArgs(const Napi::CallbackInfo& /*info*/) { return {}; }

struct FlagsArgs {
  unsigned int flags;
};
FlagsArgs ParseFlagsArgs(const Napi::CallbackInfo& info) { return {ArgFlags(info, 0)}; }

struct DomainArgs {
  std::string name;
};
DomainArgs ParseDomainArgs(const Napi::CallbackInfo& info) { return {ArgString(info, 0, "domain name")}; }

struct DomainFlagsArgs {
  std::string name;
  unsigned int flags;
};
DomainFlagsArgs ParseDomainFlagsArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "domain name"), ArgFlags(info, 1)};
}

struct XmlArgs {
  std::string xml;
  unsigned int flags;
};
XmlArgs ParseXmlArgs(const Napi::CallbackInfo& info) { return {ArgString(info, 0, "domain XML"), ArgFlags(info, 1)}; }

struct StatsArgs {
  unsigned int stats;  // 0: every group the driver supports
  unsigned int flags;
};
StatsArgs ParseStatsArgs(const Napi::CallbackInfo& info) { return {ArgFlags(info, 0), ArgFlags(info, 1)}; }

struct VcpusArgs {
  std::string name;
  unsigned int count;
  unsigned int flags;
};
VcpusArgs ParseVcpusArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "domain name"),
          static_cast<unsigned int>(ArgNonNegativeInteger(info, 1, "vCPU count", 4294967295.0)), ArgFlags(info, 2)};
}

struct MemoryArgs {
  std::string name;
  unsigned long kib;
  unsigned int flags;
};
MemoryArgs ParseMemoryArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "domain name"),
          static_cast<unsigned long>(ArgNonNegativeInteger(info, 1, "memory (KiB)", 9007199254740991.0)),
          ArgFlags(info, 2)};
}

struct ParamsArgs {
  std::string name;
  std::vector<NumericInput> inputs;
  unsigned int flags;
};
ParamsArgs ParseSchedulerParamsArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "domain name"), ReadNumericInputs(info.Env(), info[1], "scheduler parameter"),
          ArgFlags(info, 2)};
}
ParamsArgs ParseMemoryParamsArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "domain name"), ReadNumericInputs(info.Env(), info[1], "memory parameter"),
          ArgFlags(info, 2)};
}

struct GetMetadataArgs {
  std::string name;
  int type;
  std::optional<std::string> uri;
  unsigned int flags;
};
GetMetadataArgs ParseGetMetadataArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "domain name"), static_cast<int>(ArgNonNegativeInteger(info, 1, "metadata type", 2)),
          ArgOptString(info, 2, "metadata namespace URI"), ArgFlags(info, 3)};
}

struct SetMetadataArgs {
  std::string name;
  int type;
  std::optional<std::string> metadata;
  std::optional<std::string> key;
  std::optional<std::string> uri;
  unsigned int flags;
};
SetMetadataArgs ParseSetMetadataArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "domain name"),
          static_cast<int>(ArgNonNegativeInteger(info, 1, "metadata type", 2)),
          ArgOptString(info, 2, "metadata"),
          ArgOptString(info, 3, "metadata key (namespace prefix)"),
          ArgOptString(info, 4, "metadata namespace URI"),
          ArgFlags(info, 5)};
}

const char* OrNull(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

struct UuidArgs {
  std::string uuid;
};
UuidArgs ParseUuidArgs(const Napi::CallbackInfo& info) { return {ArgString(info, 0, "domain uuid")}; }

struct PoolArgs {
  std::string pool;
};
PoolArgs ParsePoolArgs(const Napi::CallbackInfo& info) { return {ArgString(info, 0, "storage pool name")}; }

struct VolumeArgs {
  std::string pool;
  std::string volume;
};
VolumeArgs ParseVolumeArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "storage pool name"), ArgString(info, 1, "volume name")};
}

struct CreateVolumeArgs {
  std::string pool;
  std::string xml;
  std::optional<std::string> cloneFrom;
};
CreateVolumeArgs ParseCreateVolumeArgs(const Napi::CallbackInfo& info) {
  return {ArgString(info, 0, "storage pool name"), ArgString(info, 1, "volume XML"),
          ArgOptString(info, 2, "volume to copy")};
}

// ------------------------------------------------------------------------- results

struct StatsRecord {
  std::string name;
  std::string uuid;
  std::vector<TypedValue> params;
};

struct PoolRecord {
  std::string name;
  std::string uuid;
  bool active = false;
  std::string xml;
};

struct VolumeRecord {
  std::string name;
  std::string key;
  std::string path;
  std::string xml;
};

struct NetworkRecord {
  std::string name;
  std::string uuid;
  bool active = false;
};

struct SchedulerResult {
  std::string type;
  std::vector<TypedValue> params;
};

Napi::Value NothingToJs(Napi::Env env, bool& /*unused*/) { return env.Undefined(); }

Napi::Value StringToJs(Napi::Env env, std::string& s) { return Napi::String::New(env, s); }

Napi::Value NodeInfoToJs(Napi::Env env, virNodeInfo& n) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("model", std::string(n.model));
  o.Set("memoryKiB", static_cast<double>(n.memory));
  o.Set("cpus", n.cpus);
  o.Set("mhz", n.mhz);
  o.Set("nodes", n.nodes);
  o.Set("sockets", n.sockets);
  o.Set("cores", n.cores);
  o.Set("threads", n.threads);
  return o;
}

Napi::Value DomainToJs(Napi::Env env, DomainRecord& r) { return DomainRecordToJs(env, r); }

Napi::Value DomainsToJs(Napi::Env env, std::vector<DomainRecord>& records) {
  Napi::Array arr = Napi::Array::New(env, records.size());
  for (size_t k = 0; k < records.size(); k++) arr.Set(static_cast<uint32_t>(k), DomainRecordToJs(env, records[k]));
  return arr;
}

Napi::Value StatsRecordsToJs(Napi::Env env, std::vector<StatsRecord>& records) {
  Napi::Array arr = Napi::Array::New(env, records.size());
  for (size_t k = 0; k < records.size(); k++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", records[k].name);
    o.Set("uuid", records[k].uuid);
    o.Set("params", TypedParamsToJs(env, records[k].params));
    arr.Set(static_cast<uint32_t>(k), o);
  }
  return arr;
}

Napi::Value SchedulerToJs(Napi::Env env, SchedulerResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", r.type);
  o.Set("params", TypedParamsToJs(env, r.params));
  return o;
}

Napi::Value ParamsToJs(Napi::Env env, std::vector<TypedValue>& params) { return TypedParamsToJs(env, params); }

Napi::Value PoolToJs(Napi::Env env, PoolRecord& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", p.name);
  o.Set("uuid", p.uuid);
  o.Set("active", p.active);
  o.Set("xml", p.xml);
  return o;
}

Napi::Object VolumeObject(Napi::Env env, const VolumeRecord& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", v.name);
  o.Set("key", v.key);
  o.Set("path", v.path);
  o.Set("xml", v.xml);
  return o;
}

Napi::Value VolumeToJs(Napi::Env env, VolumeRecord& v) { return VolumeObject(env, v); }

Napi::Value VolumesToJs(Napi::Env env, std::vector<VolumeRecord>& vs) {
  Napi::Array arr = Napi::Array::New(env, vs.size());
  for (size_t k = 0; k < vs.size(); k++) arr.Set(static_cast<uint32_t>(k), VolumeObject(env, vs[k]));
  return arr;
}

Napi::Value NetworksToJs(Napi::Env env, std::vector<NetworkRecord>& ns) {
  Napi::Array arr = Napi::Array::New(env, ns.size());
  for (size_t k = 0; k < ns.size(); k++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", ns[k].name);
    o.Set("uuid", ns[k].uuid);
    o.Set("active", ns[k].active);
    arr.Set(static_cast<uint32_t>(k), o);
  }
  return arr;
}

// Runs f on the named storage pool (looked up, freed after).
template <typename F>
bool WithPool(virConnectPtr conn, const std::string& name, VzError& err, F&& f) {
  virStoragePoolPtr pool = virStoragePoolLookupByName(conn, name.c_str());
  if (pool == nullptr) {
    err = VzError::CaptureLast("virStoragePoolLookupByName");
    return false;
  }
  bool ok = std::forward<F>(f)(pool);
  virStoragePoolFree(pool);
  return ok;
}

// Runs f on the named volume of the named pool.
template <typename F>
bool WithVolume(virConnectPtr conn, const std::string& pool, const std::string& name, VzError& err, F&& f) {
  return WithPool(conn, pool, err, [&](virStoragePoolPtr p) {
    virStorageVolPtr vol = virStorageVolLookupByName(p, name.c_str());
    if (vol == nullptr) {
      err = VzError::CaptureLast("virStorageVolLookupByName");
      return false;
    }
    bool ok = std::forward<F>(f)(vol);
    virStorageVolFree(vol);
    return ok;
  });
}

bool ReadVolumeRecord(virStorageVolPtr vol, VolumeRecord& out, VzError& err) {
  const char* name = virStorageVolGetName(vol);
  const char* key = virStorageVolGetKey(vol);
  char* path = virStorageVolGetPath(vol);
  char* xml = virStorageVolGetXMLDesc(vol, 0);
  bool ok = name != nullptr && key != nullptr && path != nullptr && xml != nullptr;
  if (ok) {
    out.name = name;
    out.key = key;
    out.path = path;
    out.xml = xml;
  } else {
    err = VzError::CaptureLast("virStorageVolGetPath/XMLDesc");
  }
  free(path);
  free(xml);
  return ok;
}

// ------------------------------------------------------------------------- libvirt calls (worker thread)

bool NodeInfo(virConnectPtr c, const NoArgs& /*args*/, virNodeInfo& out, VzError& err) {
  if (virNodeGetInfo(c, &out) < 0) {
    err = VzError::CaptureLast("virNodeGetInfo");
    return false;
  }
  return true;
}

bool ListAllDomains(virConnectPtr c, const FlagsArgs& a, std::vector<DomainRecord>& out, VzError& err) {
  virDomainPtr* doms = nullptr;
  int n = virConnectListAllDomains(c, &doms, a.flags);
  if (n < 0) {
    err = VzError::CaptureLast("virConnectListAllDomains");
    return false;
  }
  bool ok = true;
  for (int k = 0; k < n; k++) {
    DomainRecord r;
    if (ok) {
      VzError one;
      if (ReadDomainRecord(doms[k], r, one)) {
        out.push_back(std::move(r));
      } else if (one.code != VIR_ERR_NO_DOMAIN) {  // a domain that vanished meanwhile is skipped
        err = one;
        ok = false;
      }
    }
    virDomainFree(doms[k]);
  }
  free(doms);
  return ok;
}

bool LookupByName(virConnectPtr c, const DomainArgs& a, DomainRecord& out, VzError& err) {
  return WithDomain(c, a.name, err, [&](virDomainPtr d) { return ReadDomainRecord(d, out, err); });
}

bool GetXml(virConnectPtr c, const DomainFlagsArgs& a, std::string& out, VzError& err) {
  return WithDomain(c, a.name, err, [&](virDomainPtr d) {
    char* xml = virDomainGetXMLDesc(d, a.flags);
    if (xml == nullptr) {
      err = VzError::CaptureLast("virDomainGetXMLDesc");
      return false;
    }
    out = xml;
    free(xml);
    return true;
  });
}

bool DefineXml(virConnectPtr c, const XmlArgs& a, DomainRecord& out, VzError& err) {
  virDomainPtr d = a.flags != 0 ? virDomainDefineXMLFlags(c, a.xml.c_str(), a.flags) : virDomainDefineXML(c, a.xml.c_str());
  if (d == nullptr) {
    err = VzError::CaptureLast("virDomainDefineXML");
    return false;
  }
  bool ok = ReadDomainRecord(d, out, err);
  virDomainFree(d);
  return ok;
}

// With no flags, the flag-less variant of each call.
bool Undefine(virConnectPtr c, const DomainFlagsArgs& a, bool& /*out*/, VzError& err) {
  return DomainStatusCall(c, a.name, "virDomainUndefineFlags", err, [&](virDomainPtr d) {
    return a.flags != 0 ? virDomainUndefineFlags(d, a.flags) : virDomainUndefine(d);
  });
}

bool Create(virConnectPtr c, const DomainFlagsArgs& a, bool& /*out*/, VzError& err) {
  return DomainStatusCall(c, a.name, "virDomainCreateWithFlags", err, [&](virDomainPtr d) {
    return a.flags != 0 ? virDomainCreateWithFlags(d, a.flags) : virDomainCreate(d);
  });
}

bool Shutdown(virConnectPtr c, const DomainFlagsArgs& a, bool& /*out*/, VzError& err) {
  return DomainStatusCall(c, a.name, "virDomainShutdownFlags", err, [&](virDomainPtr d) {
    return a.flags != 0 ? virDomainShutdownFlags(d, a.flags) : virDomainShutdown(d);
  });
}

bool Destroy(virConnectPtr c, const DomainFlagsArgs& a, bool& /*out*/, VzError& err) {
  return DomainStatusCall(c, a.name, "virDomainDestroyFlags", err, [&](virDomainPtr d) {
    return a.flags != 0 ? virDomainDestroyFlags(d, a.flags) : virDomainDestroy(d);
  });
}

bool GetAllDomainStats(virConnectPtr c, const StatsArgs& a, std::vector<StatsRecord>& out, VzError& err) {
  virDomainStatsRecordPtr* records = nullptr;
  int n = virConnectGetAllDomainStats(c, a.stats, &records, a.flags);
  if (n < 0) {
    err = VzError::CaptureLast("virConnectGetAllDomainStats");
    return false;
  }
  out.reserve(static_cast<size_t>(n));
  for (int k = 0; k < n; k++) {
    StatsRecord r;
    const char* name = virDomainGetName(records[k]->dom);
    char uuid[VIR_UUID_STRING_BUFLEN] = {0};
    virDomainGetUUIDString(records[k]->dom, uuid);
    r.name = name != nullptr ? name : "";
    r.uuid = uuid;
    r.params = CopyTypedParams(records[k]->params, records[k]->nparams);
    out.push_back(std::move(r));
  }
  virDomainStatsRecordListFree(records);
  return true;
}

bool SetVcpus(virConnectPtr c, const VcpusArgs& a, bool& /*out*/, VzError& err) {
  return DomainStatusCall(c, a.name, "virDomainSetVcpusFlags", err,
                          [&](virDomainPtr d) { return virDomainSetVcpusFlags(d, a.count, a.flags); });
}

bool SetMemory(virConnectPtr c, const MemoryArgs& a, bool& /*out*/, VzError& err) {
  return DomainStatusCall(c, a.name, "virDomainSetMemoryFlags", err,
                          [&](virDomainPtr d) { return virDomainSetMemoryFlags(d, a.kib, a.flags); });
}

bool GetSchedulerParams(virConnectPtr c, const DomainFlagsArgs& a, SchedulerResult& out, VzError& err) {
  return WithDomain(c, a.name, err,
                    [&](virDomainPtr d) { return ReadSchedulerParams(d, a.flags, out.type, out.params, err); });
}

// Each field is set with the type libvirt reports for it, read first.
bool SetSchedulerParams(virConnectPtr c, const ParamsArgs& a, bool& /*out*/, VzError& err) {
  return WithDomain(c, a.name, err, [&](virDomainPtr d) {
    std::string type;
    std::vector<TypedValue> current;
    if (!ReadSchedulerParams(d, FlagsForTypeLookup(a.flags), type, current, err)) return false;
    virTypedParameterPtr params = nullptr;
    int n = 0;
    if (!BuildParamsToSet(current, a.inputs, "scheduler parameter", &params, &n, err)) return false;
    int rc = a.flags == 0 ? virDomainSetSchedulerParameters(d, params, n)
                          : virDomainSetSchedulerParametersFlags(d, params, n, a.flags);
    if (rc < 0) err = VzError::CaptureLast("virDomainSetSchedulerParametersFlags");
    virTypedParamsFree(params, n);
    return rc >= 0;
  });
}

bool GetMemoryParams(virConnectPtr c, const DomainFlagsArgs& a, std::vector<TypedValue>& out, VzError& err) {
  return WithDomain(c, a.name, err, [&](virDomainPtr d) { return ReadMemoryParams(d, a.flags, out, err); });
}

bool SetMemoryParams(virConnectPtr c, const ParamsArgs& a, bool& /*out*/, VzError& err) {
  return WithDomain(c, a.name, err, [&](virDomainPtr d) {
    std::vector<TypedValue> current;
    if (!ReadMemoryParams(d, FlagsForTypeLookup(a.flags), current, err)) return false;
    virTypedParameterPtr params = nullptr;
    int n = 0;
    if (!BuildParamsToSet(current, a.inputs, "memory parameter", &params, &n, err)) return false;
    int rc = virDomainSetMemoryParameters(d, params, n, a.flags);
    if (rc < 0) err = VzError::CaptureLast("virDomainSetMemoryParameters");
    virTypedParamsFree(params, n);
    return rc >= 0;
  });
}

bool GetMetadata(virConnectPtr c, const GetMetadataArgs& a, std::string& out, VzError& err) {
  return WithDomain(c, a.name, err, [&](virDomainPtr d) {
    char* md = virDomainGetMetadata(d, a.type, OrNull(a.uri), a.flags);
    if (md == nullptr) {
      err = VzError::CaptureLast("virDomainGetMetadata");
      return false;
    }
    out = md;
    free(md);
    return true;
  });
}

bool SetMetadata(virConnectPtr c, const SetMetadataArgs& a, bool& /*out*/, VzError& err) {
  return DomainStatusCall(c, a.name, "virDomainSetMetadata", err, [&](virDomainPtr d) {
    return virDomainSetMetadata(d, a.type, OrNull(a.metadata), OrNull(a.key), OrNull(a.uri), a.flags);
  });
}

bool LookupByUuid(virConnectPtr c, const UuidArgs& a, DomainRecord& out, VzError& err) {
  virDomainPtr d = virDomainLookupByUUIDString(c, a.uuid.c_str());
  if (d == nullptr) {
    err = VzError::CaptureLast("virDomainLookupByUUIDString");
    return false;
  }
  bool ok = ReadDomainRecord(d, out, err);
  virDomainFree(d);
  return ok;
}

bool LookupStoragePool(virConnectPtr c, const PoolArgs& a, PoolRecord& out, VzError& err) {
  return WithPool(c, a.pool, err, [&](virStoragePoolPtr p) {
    char uuid[VIR_UUID_STRING_BUFLEN] = {0};
    if (virStoragePoolGetUUIDString(p, uuid) < 0) {
      err = VzError::CaptureLast("virStoragePoolGetUUIDString");
      return false;
    }
    int active = virStoragePoolIsActive(p);
    if (active < 0) {
      err = VzError::CaptureLast("virStoragePoolIsActive");
      return false;
    }
    char* xml = virStoragePoolGetXMLDesc(p, 0);
    if (xml == nullptr) {
      err = VzError::CaptureLast("virStoragePoolGetXMLDesc");
      return false;
    }
    out.name = a.pool;
    out.uuid = uuid;
    out.active = active == 1;
    out.xml = xml;
    free(xml);
    return true;
  });
}

bool ListStorageVolumes(virConnectPtr c, const PoolArgs& a, std::vector<VolumeRecord>& out, VzError& err) {
  return WithPool(c, a.pool, err, [&](virStoragePoolPtr p) {
    virStorageVolPtr* vols = nullptr;
    int n = virStoragePoolListAllVolumes(p, &vols, 0);
    if (n < 0) {
      err = VzError::CaptureLast("virStoragePoolListAllVolumes");
      return false;
    }
    bool ok = true;
    for (int k = 0; k < n; k++) {
      VolumeRecord r;
      if (ok) {
        VzError one;
        if (ReadVolumeRecord(vols[k], r, one)) {
          out.push_back(std::move(r));
        } else if (one.code != VIR_ERR_NO_STORAGE_VOL) {  // one deleted meanwhile is skipped
          err = one;
          ok = false;
        }
      }
      virStorageVolFree(vols[k]);
    }
    free(vols);
    return ok;
  });
}

bool LookupStorageVolume(virConnectPtr c, const VolumeArgs& a, VolumeRecord& out, VzError& err) {
  return WithVolume(c, a.pool, a.volume, err, [&](virStorageVolPtr v) { return ReadVolumeRecord(v, out, err); });
}

// virStorageVolCreateXML, or virStorageVolCreateXMLFrom a volume of the same pool.
bool CreateStorageVolume(virConnectPtr c, const CreateVolumeArgs& a, VolumeRecord& out, VzError& err) {
  return WithPool(c, a.pool, err, [&](virStoragePoolPtr p) {
    virStorageVolPtr from = nullptr;
    if (a.cloneFrom) {
      from = virStorageVolLookupByName(p, a.cloneFrom->c_str());
      if (from == nullptr) {
        err = VzError::CaptureLast("virStorageVolLookupByName");
        return false;
      }
    }
    virStorageVolPtr vol = from != nullptr ? virStorageVolCreateXMLFrom(p, a.xml.c_str(), from, 0)
                                           : virStorageVolCreateXML(p, a.xml.c_str(), 0);
    if (from != nullptr) virStorageVolFree(from);
    if (vol == nullptr) {
      err = VzError::CaptureLast(a.cloneFrom ? "virStorageVolCreateXMLFrom" : "virStorageVolCreateXML");
      return false;
    }
    bool ok = ReadVolumeRecord(vol, out, err);
    virStorageVolFree(vol);
    return ok;
  });
}

bool DeleteStorageVolume(virConnectPtr c, const VolumeArgs& a, bool& /*out*/, VzError& err) {
  return WithVolume(c, a.pool, a.volume, err, [&](virStorageVolPtr v) {
    if (virStorageVolDelete(v, 0) < 0) {
      err = VzError::CaptureLast("virStorageVolDelete");
      return false;
    }
    return true;
  });
}

bool ReadNetworkRecord(virNetworkPtr net, NetworkRecord& out, VzError& err) {
  const char* name = virNetworkGetName(net);
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (name == nullptr || virNetworkGetUUIDString(net, uuid) < 0) {
    err = VzError::CaptureLast("virNetworkGetUUIDString");
    return false;
  }
  int active = virNetworkIsActive(net);
  if (active < 0) {
    err = VzError::CaptureLast("virNetworkIsActive");
    return false;
  }
  out.name = name;
  out.uuid = uuid;
  out.active = active == 1;
  return true;
}

bool ListNetworks(virConnectPtr c, const NoArgs& /*args*/, std::vector<NetworkRecord>& out, VzError& err) {
  virNetworkPtr* nets = nullptr;
  int n = virConnectListAllNetworks(c, &nets, 0);
  if (n < 0) {
    err = VzError::CaptureLast("virConnectListAllNetworks");
    return false;
  }
  bool ok = true;
  for (int k = 0; k < n; k++) {
    NetworkRecord r;
    if (ok) {
      VzError one;
      if (ReadNetworkRecord(nets[k], r, one)) {
        out.push_back(std::move(r));
      } else if (one.code != VIR_ERR_NO_NETWORK) {  // a network removed meanwhile is skipped
        err = one;
        ok = false;
      }
    }
    virNetworkFree(nets[k]);
  }
  free(nets);
  return ok;
}

}  // namespace

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> table = {
      //     JavaScript name        arguments                 libvirt call         result
      Define("nodeInfo",            ParseNoArgs,              NodeInfo,            NodeInfoToJs),
      Define("listAllDomains",      ParseFlagsArgs,           ListAllDomains,      DomainsToJs),
      Define("lookupByName",        ParseDomainArgs,          LookupByName,        DomainToJs),
      Define("getXml",              ParseDomainFlagsArgs,     GetXml,              StringToJs),
      Define("defineXml",           ParseXmlArgs,             DefineXml,           DomainToJs),
      Define("undefine",            ParseDomainFlagsArgs,     Undefine,            NothingToJs),
      Define("create",              ParseDomainFlagsArgs,     Create,              NothingToJs),
      Define("shutdown",            ParseDomainFlagsArgs,     Shutdown,            NothingToJs),
      Define("destroy",             ParseDomainFlagsArgs,     Destroy,             NothingToJs),
      Define("getAllDomainStats",   ParseStatsArgs,           GetAllDomainStats,   StatsRecordsToJs),
      Define("setVcpus",            ParseVcpusArgs,           SetVcpus,            NothingToJs),
      Define("setMemory",           ParseMemoryArgs,          SetMemory,           NothingToJs),
      Define("getSchedulerParams",  ParseDomainFlagsArgs,     GetSchedulerParams,  SchedulerToJs),
      Define("setSchedulerParams",  ParseSchedulerParamsArgs, SetSchedulerParams,  NothingToJs),
      Define("getMemoryParams",     ParseDomainFlagsArgs,     GetMemoryParams,     ParamsToJs),
      Define("setMemoryParams",     ParseMemoryParamsArgs,    SetMemoryParams,     NothingToJs),
      Define("getMetadata",         ParseGetMetadataArgs,     GetMetadata,         StringToJs),
      Define("setMetadata",         ParseSetMetadataArgs,     SetMetadata,         NothingToJs),
      Define("lookupByUuid",        ParseUuidArgs,            LookupByUuid,        DomainToJs),
      Define("lookupStoragePool",   ParsePoolArgs,            LookupStoragePool,   PoolToJs),
      Define("listStorageVolumes",  ParsePoolArgs,            ListStorageVolumes,  VolumesToJs),
      Define("lookupStorageVolume", ParseVolumeArgs,          LookupStorageVolume, VolumeToJs),
      Define("createStorageVolume", ParseCreateVolumeArgs,    CreateStorageVolume, VolumeToJs),
      Define("deleteStorageVolume", ParseVolumeArgs,          DeleteStorageVolume, NothingToJs),
      Define("listNetworks",        ParseNoArgs,              ListNetworks,        NetworksToJs),
  };
  return table;
}

}  // namespace vz
