/// @file usage_error.hpp
/// @brief A command line that cannot be read: the parser's own error (exit status 2).
#pragma once

#include "numfactors/errors.hpp"

namespace numfactors {

/// A mistake in argv (an unknown option, a bad number, a missing value), worded in flags.
struct UsageError : InvalidRequest {
  using InvalidRequest::InvalidRequest;
};

}  // namespace numfactors
