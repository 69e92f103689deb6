/// @file quoted.hpp
/// @brief How a message echoes what a user gave (an argument, a file name): in quotes, whole
/// when short, else its two ends and its length, so that a 100,000-character argument does not
/// become a 100,000-byte error line.
#pragma once

#include <string>
#include <string_view>

namespace numfactors {

/// An argument (a number, a choice, an option): whole up to 48 characters.
std::string quote_arg(std::string_view text);
/// A file name: whole up to 256 characters (real paths are long, and their ends tell them apart).
std::string quote_path(std::string_view path);

}  // namespace numfactors
