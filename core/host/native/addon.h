// Per-environment state of the addon (one per Node.js environment / worker thread).
#pragma once

#include <napi.h>

#include <memory>

#include "call_pool.h"

namespace vz {

struct AddonData {
  Napi::FunctionReference connectionCtor;  // the Connection class, to wrap opened connections
  Napi::FunctionReference errorFactory;    // (info) => LibvirtError, set by core/host/native.ts
  std::shared_ptr<CompletionPort> completions;  // where this environment's calls finish
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace vz
