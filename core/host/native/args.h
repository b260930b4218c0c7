// Reading a JavaScript call's arguments (main thread). Bad arguments are programming
// errors: each reader throws a TypeError naming what was expected.
#pragma once

#include <napi.h>

#include <cstddef>
#include <optional>
#include <string>

namespace vz {

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what);
// null or undefined (or absent) -> nullopt
std::optional<std::string> ArgOptString(const Napi::CallbackInfo& info, size_t i, const char* what);
// A number or BigInt holding an integer in [0, max].
double ArgNonNegativeInteger(const Napi::CallbackInfo& info, size_t i, const char* what, double max);
// libvirt flags: an unsigned 32-bit integer, 0 when absent or undefined.
unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i);

}  // namespace vz
