// libvirt errors as the addon carries them from a worker thread to JavaScript.
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <napi.h>

#include <string>

namespace vz {

// A libvirt error copied out of libvirt's thread-local "last error" slot. libvirt keeps
// the last error per thread, so it must be captured on the worker thread right after
// the failing call: by the time a Promise settles on the main thread it is gone.
struct VzError {
  int code = VIR_ERR_INTERNAL_ERROR;
  int domain = VIR_FROM_NONE;
  int level = VIR_ERR_ERROR;
  std::string message;

  // Copies virGetLastError(); `what` names the call in case libvirt left no error.
  static VzError CaptureLast(const char* what);
  // An error raised by the binding itself, in libvirt's terms (e.g. VIR_ERR_INVALID_ARG).
  static VzError Make(int code, std::string message);
};

const char* VirErrorCodeName(int code);      // nullptr when the header has no name for it
const char* VirErrorDomainName(int domain);  // nullptr when unknown

// Builds the JavaScript error for `e`: through the factory registered with
// setErrorFactory() (core/host/errors.ts -> LibvirtError) when there is one.
Napi::Value MakeJsError(Napi::Env env, const VzError& e);

// The factory lives in the per-environment addon data.
void SetErrorFactory(Napi::Env env, Napi::Function factory);

// libvirt prints every error to stderr unless an error function is set; the binding
// reports errors through Promises instead.
void SilenceDefaultErrorPrinting();

}  // namespace vz
