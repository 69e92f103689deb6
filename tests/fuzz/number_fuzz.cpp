/// @file number_fuzz.cpp
/// @brief libFuzzer target: the number grammar of range bounds (parse_number), which reads
/// untrusted text. Any input returns a value or throws UsageError with a short message; plain
/// decimals agree with strtoull; nothing else may escape.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/number.hpp"
#include "exec/quoted.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (numfactors::quote_arg(text).size() > 100) std::abort();  // echoes stay short
  try {
    const numfactors::u64 v = numfactors::parse_number(text);
    const bool digits = !text.empty() && text.size() <= 20 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      errno = 0;
      const unsigned long long expected = std::strtoull(text.c_str(), nullptr, 10);
      if (errno != 0 || expected != v) std::abort();
    }
  } catch (const numfactors::UsageError& e) {
    if (std::string_view(e.what()).size() > 300) std::abort();
  }
  return 0;
}
