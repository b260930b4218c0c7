#include "errors.h"

#include "addon.h"
#include "error_names.h"

namespace vz {

VzError VzError::CaptureLast(const char* what) {
  VzError e;
  virErrorPtr last = virGetLastError();
  if (last != nullptr && last->code != VIR_ERR_OK) {
    e.code = last->code;
    e.domain = last->domain;
    e.level = last->level;
    e.message = last->message != nullptr ? last->message : "";
  }
  if (e.message.empty()) {
    e.message = std::string(what) + " failed without a libvirt error";
  }
  return e;
}

VzError VzError::Make(int code, std::string message) {
  VzError e;
  e.code = code;
  e.domain = VIR_FROM_NONE;
  e.level = VIR_ERR_ERROR;
  e.message = std::move(message);
  return e;
}

template <size_t N>
static const char* LookupName(const VzEnumName (&table)[N], int value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return nullptr;
}

const char* VirErrorCodeName(int code) { return LookupName(kVirErrorCodeNames, code); }
const char* VirErrorDomainName(int domain) { return LookupName(kVirErrorDomainNames, domain); }

Napi::Value MakeJsError(Napi::Env env, const VzError& e) {
  Napi::Object info = Napi::Object::New(env);
  const char* codeName = VirErrorCodeName(e.code);
  const char* domainName = VirErrorDomainName(e.domain);
  info.Set("code", e.code);
  info.Set("domain", e.domain);
  info.Set("level", e.level);
  info.Set("message", e.message);
  info.Set("codeName", codeName != nullptr ? std::string(codeName) : "VIR_ERR_" + std::to_string(e.code));
  info.Set("domainName", domainName != nullptr ? std::string(domainName) : "VIR_FROM_" + std::to_string(e.domain));

  AddonData* data = GetAddonData(env);
  if (data != nullptr && !data->errorFactory.IsEmpty()) {
    try {
      Napi::Value made = data->errorFactory.Call({info});
      if (made.IsObject()) return made;
    } catch (const Napi::Error&) {
      // A broken factory must not hide the libvirt error: fall through to a plain Error.
    }
  }
  Napi::Error err = Napi::Error::New(env, e.message);
  Napi::Object obj = err.Value();
  for (const char* key : {"code", "domain", "level", "codeName", "domainName"}) {
    obj.Set(key, info.Get(key));
  }
  return obj;
}

void SetErrorFactory(Napi::Env env, Napi::Function factory) {
  AddonData* data = GetAddonData(env);
  data->errorFactory = Napi::Persistent(factory);
}

static void IgnoreError(void* /*userData*/, virErrorPtr /*error*/) {}

void SilenceDefaultErrorPrinting() { virSetErrorFunc(nullptr, IgnoreError); }

}  // namespace vz
