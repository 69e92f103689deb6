/// @file help.hpp
#pragma once

#include <string>

namespace numfactors {

/// The text of `numfactors --help`.
std::string help_text();

}  // namespace numfactors
