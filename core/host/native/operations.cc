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

// ------------------------------------------------------------------------- results

struct StatsRecord {
  std::string name;
  std::string uuid;
  std::vector<TypedValue> params;
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
  };
  return table;
}

}  // namespace vz
