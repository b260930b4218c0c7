#include "domain_params.h"

#include <cstdlib>

namespace vz {

bool ReadSchedulerParams(virDomainPtr dom, unsigned int flags, std::string& type, std::vector<TypedValue>& out,
                         VzError& err) {
  int n = 0;
  char* schedType = virDomainGetSchedulerType(dom, &n);
  if (schedType == nullptr) {
    err = VzError::CaptureLast("virDomainGetSchedulerType");
    return false;
  }
  type = schedType;
  free(schedType);
  if (n <= 0) return true;
  std::vector<virTypedParameter> params(static_cast<size_t>(n));
  // With no flags, the flag-less call: libvirt adds VIR_TYPED_PARAM_STRING_OKAY to the
  // *Flags variant, which some drivers (the test driver among them) then reject.
  int rc = flags == 0 ? virDomainGetSchedulerParameters(dom, params.data(), &n)
                      : virDomainGetSchedulerParametersFlags(dom, params.data(), &n, flags);
  if (rc < 0) {
    err = VzError::CaptureLast("virDomainGetSchedulerParametersFlags");
    return false;
  }
  out = CopyTypedParams(params.data(), n);
  virTypedParamsClear(params.data(), n);
  return true;
}

bool ReadMemoryParams(virDomainPtr dom, unsigned int flags, std::vector<TypedValue>& out, VzError& err) {
  int n = 0;
  if (virDomainGetMemoryParameters(dom, nullptr, &n, flags) < 0) {
    err = VzError::CaptureLast("virDomainGetMemoryParameters");
    return false;
  }
  if (n <= 0) return true;
  std::vector<virTypedParameter> params(static_cast<size_t>(n));
  if (virDomainGetMemoryParameters(dom, params.data(), &n, flags) < 0) {
    err = VzError::CaptureLast("virDomainGetMemoryParameters");
    return false;
  }
  out = CopyTypedParams(params.data(), n);
  virTypedParamsClear(params.data(), n);
  return true;
}

unsigned int FlagsForTypeLookup(unsigned int flags) {
  if (flags & VIR_DOMAIN_AFFECT_LIVE) return VIR_DOMAIN_AFFECT_LIVE;
  if (flags & VIR_DOMAIN_AFFECT_CONFIG) return VIR_DOMAIN_AFFECT_CONFIG;
  return VIR_DOMAIN_AFFECT_CURRENT;
}

}  // namespace vz
