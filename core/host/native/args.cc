#include "args.h"

#include <cmath>
#include <cstdint>

namespace vz {

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

std::optional<std::string> ArgOptString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return std::nullopt;
  return ArgString(info, i, what);
}

double ArgNonNegativeInteger(const Napi::CallbackInfo& info, size_t i, const char* what, double max) {
  if (info.Length() > i && info[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless && static_cast<double>(v) <= max) return static_cast<double>(v);
  } else if (info.Length() > i && info[i].IsNumber()) {
    double v = info[i].As<Napi::Number>().DoubleValue();
    if (std::isfinite(v) && std::trunc(v) == v && v >= 0 && v <= max) return v;
  }
  throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a non-negative integer");
}

unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return 0;
  return static_cast<unsigned int>(ArgNonNegativeInteger(info, i, "flags", 4294967295.0));
}

}  // namespace vz
