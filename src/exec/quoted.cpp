#include "exec/quoted.hpp"

namespace numfactors {
namespace {

std::string quote(std::string_view text, std::size_t head, std::size_t tail) {
  // Appended piece by piece: GCC 12 warns wrongly (-Wrestrict) about "'" + std::string(...).
  std::string out = "'";
  if (text.size() <= head + tail + 16) {
    out.append(text);
    return out.append("'");
  }
  out.append(text.substr(0, head)).append("...").append(text.substr(text.size() - tail));
  return out.append("' (").append(std::to_string(text.size())).append(" characters)");
}

}  // namespace

std::string quote_arg(std::string_view text) { return quote(text, 24, 8); }

std::string quote_path(std::string_view path) { return quote(path, 160, 80); }

}  // namespace numfactors
