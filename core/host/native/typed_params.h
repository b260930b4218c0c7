// virTypedParameter <-> JavaScript. 64-bit integers (LLONG/ULLONG) become BigInt so that
// counters such as cpu.time never lose precision; INT/UINT/DOUBLE become numbers.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"

namespace vz {

// A typed parameter copied out of libvirt's arrays so it can cross threads.
struct TypedValue {
  std::string field;
  int type = 0;  // virTypedParameterType
  int64_t i = 0;   // INT, LLONG, BOOLEAN
  uint64_t u = 0;  // UINT, ULLONG
  double d = 0;    // DOUBLE
  std::string s;   // STRING
};

std::vector<TypedValue> CopyTypedParams(const virTypedParameter* params, int n);
Napi::Value TypedValueToJs(Napi::Env env, const TypedValue& v);
Napi::Object TypedParamsToJs(Napi::Env env, const std::vector<TypedValue>& params);

// A numeric value given from JavaScript (number or BigInt), kept in every form needed to
// convert it later to whatever type libvirt declares for the field.
struct NumericInput {
  std::string field;
  bool isBigInt = false;
  double number = 0;    // when !isBigInt
  int64_t i64 = 0;      // when isBigInt and i64Exact
  bool i64Exact = false;
  uint64_t u64 = 0;     // when isBigInt and u64Exact
  bool u64Exact = false;
};

// Reads {name: number | bigint} (main thread). Throws a JS TypeError on other values.
std::vector<NumericInput> ReadNumericInputs(Napi::Env env, Napi::Value value, const char* what);

// Builds the parameter array to set: each field takes the type libvirt reported for it in
// `current` (so callers can write {cpu_shares: 512}). Unknown fields and values that do
// not fit the type fail with VIR_ERR_INVALID_ARG. The caller frees *out with
// virTypedParamsFree(*out, *nout).
bool BuildParamsToSet(const std::vector<TypedValue>& current, const std::vector<NumericInput>& inputs,
                      const char* what, virTypedParameterPtr* out, int* nout, VzError& err);

}  // namespace vz
