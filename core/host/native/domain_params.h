// A domain's scheduler and memory tunables as typed parameters (worker thread).
#pragma once

#include <libvirt/libvirt.h>

#include <string>
#include <vector>

#include "errors.h"
#include "typed_params.h"

namespace vz {

// The scheduler type and its parameters. False after filling `err`.
bool ReadSchedulerParams(virDomainPtr dom, unsigned int flags, std::string& type, std::vector<TypedValue>& out,
                         VzError& err);
bool ReadMemoryParams(virDomainPtr dom, unsigned int flags, std::vector<TypedValue>& out, VzError& err);

// The flags to read parameters with before setting them with `flags`: reading cannot ask
// for live and config at once, and their types do not differ.
unsigned int FlagsForTypeLookup(unsigned int flags);

}  // namespace vz
