#include "typed_params.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>

namespace vz {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

const char* TypeDescription(int type) {
  switch (type) {
    case VIR_TYPED_PARAM_INT: return "a signed 32-bit integer";
    case VIR_TYPED_PARAM_UINT: return "an unsigned 32-bit integer";
    case VIR_TYPED_PARAM_LLONG: return "a signed 64-bit integer";
    case VIR_TYPED_PARAM_ULLONG: return "an unsigned 64-bit integer";
    case VIR_TYPED_PARAM_DOUBLE: return "a number";
    case VIR_TYPED_PARAM_BOOLEAN: return "a boolean (0 or 1)";
    case VIR_TYPED_PARAM_STRING: return "a string";
    default: return "a value of an unknown type";
  }
}

std::string Describe(const NumericInput& in) {
  std::ostringstream out;
  if (!in.isBigInt) {
    out.precision(17);
    out << in.number;
  } else if (in.u64Exact) {
    out << in.u64 << "n";
  } else if (in.i64Exact) {
    out << in.i64 << "n";
  } else {
    out << "a BigInt outside 64 bits";
  }
  return out.str();
}

// The integer value of `in` as sign and magnitude; false when it is not an exact integer
// (fractions, NaN, numbers beyond 2^53 where a JS number is already imprecise, or BigInts
// beyond 64 bits).
bool IntegerOf(const NumericInput& in, bool* negative, uint64_t* magnitude) {
  if (!in.isBigInt) {
    double n = in.number;
    if (!std::isfinite(n) || std::trunc(n) != n || std::fabs(n) > kMaxSafeInteger) return false;
    *negative = n < 0;
    *magnitude = static_cast<uint64_t>(std::fabs(n));
    return true;
  }
  if (in.u64Exact) {
    *negative = false;
    *magnitude = in.u64;
    return true;
  }
  if (in.i64Exact) {  // negative: u64Exact covers every non-negative 64-bit value
    *negative = true;
    *magnitude = static_cast<uint64_t>(-(in.i64 + 1)) + 1;
    return true;
  }
  return false;
}

bool AddParam(virTypedParameterPtr* params, int* n, int* max, int type, const NumericInput& in,
              const char* what, VzError& err) {
  const char* field = in.field.c_str();
  auto invalid = [&]() {
    err = VzError::Make(VIR_ERR_INVALID_ARG, std::string(what) + " '" + in.field + "' takes " +
                                                 TypeDescription(type) + "; got " + Describe(in));
    return false;
  };
  int rc = -1;
  if (type == VIR_TYPED_PARAM_DOUBLE) {
    double value = in.isBigInt ? (in.u64Exact ? static_cast<double>(in.u64) : static_cast<double>(in.i64))
                               : in.number;
    if (!std::isfinite(value)) return invalid();
    rc = virTypedParamsAddDouble(params, n, max, field, value);
  } else {
    bool negative = false;
    uint64_t mag = 0;
    if (!IntegerOf(in, &negative, &mag)) return invalid();
    const uint64_t int32Max = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
    const uint64_t int64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    switch (type) {
      case VIR_TYPED_PARAM_INT:
        if (mag > (negative ? int32Max + 1 : int32Max)) return invalid();
        rc = virTypedParamsAddInt(params, n, max, field,
                                  negative ? static_cast<int>(-static_cast<int64_t>(mag)) : static_cast<int>(mag));
        break;
      case VIR_TYPED_PARAM_UINT:
        if (negative || mag > std::numeric_limits<uint32_t>::max()) return invalid();
        rc = virTypedParamsAddUInt(params, n, max, field, static_cast<unsigned int>(mag));
        break;
      case VIR_TYPED_PARAM_LLONG: {
        if (mag > (negative ? int64Max + 1 : int64Max)) return invalid();
        long long value = negative ? static_cast<long long>(-(mag - 1)) - 1 : static_cast<long long>(mag);
        rc = virTypedParamsAddLLong(params, n, max, field, value);
        break;
      }
      case VIR_TYPED_PARAM_ULLONG:
        if (negative) return invalid();
        rc = virTypedParamsAddULLong(params, n, max, field, mag);
        break;
      case VIR_TYPED_PARAM_BOOLEAN:
        if (negative || mag > 1) return invalid();
        rc = virTypedParamsAddBoolean(params, n, max, field, mag == 1 ? 1 : 0);
        break;
      default:
        return invalid();
    }
  }
  if (rc < 0) {
    err = VzError::CaptureLast("virTypedParamsAdd");
    return false;
  }
  return true;
}

}  // namespace

std::vector<TypedValue> CopyTypedParams(const virTypedParameter* params, int n) {
  std::vector<TypedValue> out;
  out.reserve(n > 0 ? static_cast<size_t>(n) : 0);
  for (int k = 0; k < n; k++) {
    const virTypedParameter& p = params[k];
    TypedValue v;
    v.field = p.field;
    v.type = p.type;
    switch (p.type) {
      case VIR_TYPED_PARAM_INT: v.i = p.value.i; break;
      case VIR_TYPED_PARAM_UINT: v.u = p.value.ui; break;
      case VIR_TYPED_PARAM_LLONG: v.i = p.value.l; break;
      case VIR_TYPED_PARAM_ULLONG: v.u = p.value.ul; break;
      case VIR_TYPED_PARAM_DOUBLE: v.d = p.value.d; break;
      case VIR_TYPED_PARAM_BOOLEAN: v.i = p.value.b ? 1 : 0; break;
      case VIR_TYPED_PARAM_STRING: v.s = p.value.s != nullptr ? p.value.s : ""; break;
      default: continue;  // a type newer than this binding: skip rather than guess
    }
    out.push_back(std::move(v));
  }
  return out;
}

Napi::Value TypedValueToJs(Napi::Env env, const TypedValue& v) {
  switch (v.type) {
    case VIR_TYPED_PARAM_INT: return Napi::Number::New(env, static_cast<double>(v.i));
    case VIR_TYPED_PARAM_UINT: return Napi::Number::New(env, static_cast<double>(v.u));
    case VIR_TYPED_PARAM_LLONG: return Napi::BigInt::New(env, v.i);
    case VIR_TYPED_PARAM_ULLONG: return Napi::BigInt::New(env, v.u);
    case VIR_TYPED_PARAM_DOUBLE: return Napi::Number::New(env, v.d);
    case VIR_TYPED_PARAM_BOOLEAN: return Napi::Boolean::New(env, v.i != 0);
    case VIR_TYPED_PARAM_STRING: return Napi::String::New(env, v.s);
    default: return env.Undefined();
  }
}

Napi::Object TypedParamsToJs(Napi::Env env, const std::vector<TypedValue>& params) {
  Napi::Object obj = Napi::Object::New(env);
  for (const TypedValue& v : params) obj.Set(v.field, TypedValueToJs(env, v));
  return obj;
}

std::vector<NumericInput> ReadNumericInputs(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsObject() || value.IsArray()) {
    throw Napi::TypeError::New(env, std::string(what) + "s must be an object of name -> number | bigint");
  }
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Array names = obj.GetPropertyNames();
  std::vector<NumericInput> out;
  for (uint32_t k = 0; k < names.Length(); k++) {
    NumericInput in;
    in.field = names.Get(k).ToString().Utf8Value();
    if (in.field.empty() || in.field.size() >= VIR_TYPED_PARAM_FIELD_LENGTH) {
      throw Napi::TypeError::New(env, std::string(what) + " name '" + in.field + "' is empty or too long");
    }
    Napi::Value v = obj.Get(in.field);
    if (v.IsNumber()) {
      in.number = v.As<Napi::Number>().DoubleValue();
    } else if (v.IsBigInt()) {
      in.isBigInt = true;
      bool lossless = false;
      in.u64 = v.As<Napi::BigInt>().Uint64Value(&lossless);
      in.u64Exact = lossless;
      in.i64 = v.As<Napi::BigInt>().Int64Value(&lossless);
      in.i64Exact = lossless;
    } else {
      throw Napi::TypeError::New(env, std::string(what) + " '" + in.field + "' must be a number or a bigint");
    }
    out.push_back(std::move(in));
  }
  return out;
}

bool BuildParamsToSet(const std::vector<TypedValue>& current, const std::vector<NumericInput>& inputs,
                      const char* what, virTypedParameterPtr* out, int* nout, VzError& err) {
  virTypedParameterPtr params = nullptr;
  int n = 0;
  int max = 0;
  for (const NumericInput& in : inputs) {
    const TypedValue* known = nullptr;
    for (const TypedValue& c : current) {
      if (c.field == in.field) {
        known = &c;
        break;
      }
    }
    if (known == nullptr) {
      std::string names;
      for (const TypedValue& c : current) names += (names.empty() ? "" : ", ") + c.field;
      err = VzError::Make(VIR_ERR_INVALID_ARG, "unknown " + std::string(what) + " '" + in.field +
                                                   "' (this domain has: " + (names.empty() ? "none" : names) + ")");
      virTypedParamsFree(params, n);
      return false;
    }
    if (!AddParam(&params, &n, &max, known->type, in, what, err)) {
      virTypedParamsFree(params, n);
      return false;
    }
  }
  *out = params;
  *nout = n;
  return true;
}

}  // namespace vz
