#include "exec/quoted.hpp"

namespace numfactors {
namespace {

bool continues_a_character(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string quote(std::string_view text, std::size_t head, std::size_t tail) {
  // Appended piece by piece: GCC 12 warns wrongly (-Wrestrict) about "'" + std::string(...).
  std::string out = "'";
  if (text.size() <= head + tail + 16) {
    out.append(text);
    return out.append("'");
  }
  // The cuts move back to the start of a UTF-8 character, so that no name is shown with half
  // of one (a continuation byte is 10xxxxxx; text that is not UTF-8 is cut where it falls).
  std::size_t cut = head, from = text.size() - tail;
  for (int k = 0; k < 3 && cut > 0 && continues_a_character(text[cut]); ++k) --cut;
  for (int k = 0; k < 3 && from > cut && continues_a_character(text[from]); ++k) --from;
  out.append(text.substr(0, cut)).append("...").append(text.substr(from));
  return out.append("' (").append(std::to_string(text.size())).append(" characters)");
}

}  // namespace

std::string quote_arg(std::string_view text) { return quote(text, 24, 8); }

std::string quote_path(std::string_view path) { return quote(path, 160, 80); }

}  // namespace numfactors
