// Per-environment state of the addon (one per Node.js environment / worker thread).
#pragma once

#include <napi.h>

namespace vz {

struct AddonData {
  Napi::FunctionReference connectionCtor;  // the Connection class, to wrap opened connections
  Napi::FunctionReference errorFactory;    // (info) => LibvirtError, set by core/host/native.ts
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace vz
