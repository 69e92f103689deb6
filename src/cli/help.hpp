/// @file help.hpp
#pragma once

#include <string>

namespace nf {

/// The text of `numfactors --help`.
std::string help_text();

}  // namespace nf
