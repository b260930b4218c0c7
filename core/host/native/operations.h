// The libvirt operations a Connection offers to JavaScript, as one table. Each row names
// the method and gives its three parts: reading the arguments (main thread), the libvirt
// call (a thread of the addon's call pool, through CallWorker), and turning the result into a
// JavaScript value (main thread). Connection registers one method per row.
#pragma once

#include <napi.h>

#include <functional>
#include <vector>

#include "conn_state.h"

namespace vz {

struct Operation {
  const char* name;  // the JavaScript method name
  // Reads the arguments, then returns a Promise of the result (rejected when the
  // connection is closed). Bad arguments throw a TypeError instead.
  std::function<Napi::Value(const Napi::CallbackInfo& info, ConnState& state)> run;
};

// Every operation, in the order they are defined on Connection's prototype. The rows
// live for the whole process, so a method may keep a pointer to its row.
const std::vector<Operation>& Operations();

}  // namespace vz
