/// @file merge.cpp
#include "cli/merge.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

#include "cli/error_words.hpp"
#include "cli/number.hpp"
#include "cli/output_file.hpp"
#include "cli/suggest.hpp"
#include "cli/usage_error.hpp"
#include "exec/quoted.hpp"
#include "numfactors/format.hpp"

namespace numfactors {
namespace {

struct PartResult {
  std::string file;
  Range range;
  /// The numbers it counts: [range] itself, or for a merge with --allow-gaps the ranges of its
  /// parts (ascending, disjoint), so that the gaps can be filled by a later merge.
  std::vector<Range> covered;
  Count count = Count::distinct;
  Histogram histogram;
  double seconds = 0, cpu_seconds = 0;
  u64 workers = 0;
  u64 parts = 1;  // the parts an earlier merge added up
};

/// One part from a JSON report; UsageError naming the file for anything else.
PartResult read_part(const std::string& file) {
  if (std::error_code error; std::filesystem::is_directory(file, error))
    throw UsageError("merge: " + quote_path(file) + " is a directory, not a JSON result");
  errno = 0;
  std::ifstream in(file);
  if (!in)  // the open(2) behind it says why
    throw UsageError("merge: cannot read " + quote_path(file) +
                     (errno != 0 ? std::string(": ") + std::strerror(errno) : ""));
  PartResult p;
  p.file = file;
  // A key given twice in one object would be taken at its last value, silently: refused.
  std::string twice;
  const auto key_twice = [&] {
    return UsageError("merge: " + quote_path(file) + " has the key " + quote_arg(twice) +
                      " twice in one object");
  };
  try {
    std::vector<std::set<std::string>> keys;  // of each object open
    const auto j = nlohmann::json::parse(
        in, [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          if (event == nlohmann::json::parse_event_t::object_start) keys.emplace_back();
          if (event == nlohmann::json::parse_event_t::object_end) keys.pop_back();
          if (event == nlohmann::json::parse_event_t::key && twice.empty() &&
              !keys.back().insert(parsed.get<std::string>()).second)
            twice = parsed.get<std::string>();
          return true;
        });
    // get<u64> would convert a negative or fractional value: bounds and counts are unsigned.
    const auto unsigned_at = [&](const char* name) {
      const auto& v = j.at(name);
      if (!v.is_number_unsigned()) throw UsageError("");
      return v.get<u64>();
    };
    p.range = {unsigned_at("min"), unsigned_at("max")};
    if (j.contains("ranges")) {
      if (!j.at("ranges").is_array()) throw UsageError("");
      for (const auto& r : j.at("ranges")) {
        if (!r.is_array() || r.size() != 2 || !r[0].is_number_unsigned() ||
            !r[1].is_number_unsigned())
          throw UsageError("");
        const Range piece{r[0].get<u64>(), r[1].get<u64>()};
        if (piece.lo > piece.hi || (!p.covered.empty() && piece.lo <= p.covered.back().hi))
          throw UsageError("");
        p.covered.push_back(piece);
      }
      if (p.covered.empty() || p.covered.front().lo != p.range.lo ||
          p.covered.back().hi != p.range.hi)
        throw UsageError("");
    } else {
      p.covered = {p.range};
    }
    const auto count = parse_choice<Count>(j.at("count").get<std::string>());
    if (!count) throw UsageError("");
    p.count = *count;
    // Keys are plain decimals, counts non-negative integers whose sum does not wrap: a part
    // must count every number of its range exactly once (checked below).
    u64 sum = 0;
    for (const auto& [k, n] : j.at("histogram").items()) {
      if (k.empty() || k.size() > 2 || k.find_first_not_of("0123456789") != std::string::npos ||
          (k.size() > 1 && k[0] == '0') || !n.is_number_unsigned())
        throw UsageError("");
      const unsigned long key = std::stoul(k);
      if (key > Histogram::kMaxKey || __builtin_add_overflow(sum, n.get<u64>(), &sum))
        throw UsageError("");
      p.histogram.add(static_cast<unsigned>(key), n.get<u64>());
    }
    p.seconds = j.value("seconds", 0.0);
    p.cpu_seconds = j.value("cpu_seconds", 0.0);
    p.workers = j.value("workers", u64{0});
    if (j.contains("parts")) p.parts = unsigned_at("parts");
    if (p.parts == 0) throw UsageError("");
  } catch (const std::exception&) {
    if (!twice.empty()) throw key_twice();
    throw UsageError("merge: " + quote_path(file) +
                     " is not a numfactors JSON result (--format json)");
  }
  if (!twice.empty()) throw key_twice();
  u64 numbers = 0;  // the pieces lie in [min, max], disjoint: no wrap
  for (const Range& r : p.covered) numbers += r.size();
  if (p.range.lo == 0 || p.range.lo > p.range.hi || p.histogram.total() != numbers)
    throw UsageError("merge: " + quote_path(file) + " does not count every number of its " +
                     (p.covered.size() > 1 ? "ranges" : "range"));
  // Only 1 has no prime factor, and k factors need a number of at least 2 * 3 * 5 * ... (the
  // first k primes; 2^k counted with multiplicity).
  const auto impossible = [&](unsigned k) {
    const u64 n = p.histogram[k];
    const std::string has = k == 0 && p.range.lo == 1 ? "one" : "none";
    throw UsageError("merge: " + quote_path(file) + " counts " + std::to_string(n) +
                     (n == 1 ? " number" : " numbers") + " with " + std::to_string(k) +
                     " prime factors in [" + std::to_string(p.range.lo) + ", " +
                     std::to_string(p.range.hi) + "], which has " + has);
  };
  if (p.histogram[0] != (p.range.lo == 1 ? 1u : 0u)) impossible(0);
  constexpr unsigned kPrimes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31,
                                  37, 41, 43, 47, 53, 59, 61, 67, 71, 73};
  u64 least = 1;  // the least number with k prime factors, while it fits
  for (unsigned k = 1; k <= Histogram::kMaxKey; ++k) {
    const u64 factor = p.count == Count::total ? 2 : kPrimes[std::min<std::size_t>(k - 1, 20)];
    if (least != 0 && __builtin_mul_overflow(least, factor, &least)) least = 0;  // beyond 2^64
    if (p.histogram[k] != 0 && (least == 0 || least > p.range.hi)) impossible(k);
  }
  return p;
}

std::string describe(const std::string& file, const Range& r) {
  return quote_path(file) + " [" + std::to_string(r.lo) + ", " + std::to_string(r.hi) + "]";
}

std::string describe(const PartResult& p) { return describe(p.file, p.range); }

}  // namespace

std::string merge_help_text() {
  return R"(Usage: numfactors merge FILE... [--allow-gaps] [--format NAME] [--output FILE]

Adds up the JSON results (numfactors --format json) of adjacent parts of a range,
such as the tasks of a job array that each counted --part I/N, into the histogram
of the whole range. Refused with status 2: parts that overlap, a gap between two
parts (unless --allow-gaps: then the result counts the parts only, and its JSON
lists the ranges counted, so that a later merge can fill the gaps), parts of
different counts (distinct and total), a file that is no such result.

  --allow-gaps     merge parts with gaps between them
  --format NAME    dict (default), json, table or csv
  --output FILE    write the result to FILE instead of stdout
  --               the end of the options: what follows are files, even if named -...
)";
}

namespace {

/// The arguments with each "--name=value" of an option that takes a value written as the two
/// arguments "--name value", as the main command takes them.
std::vector<std::string> split_inline_values(const std::vector<std::string>& args) {
  std::vector<std::string> result;
  bool options_ended = false;
  for (const std::string& a : args) {
    const std::size_t eq = a.find('=');
    if (options_ended || !a.starts_with("--") || eq == std::string::npos) {
      options_ended = options_ended || a == "--";
      result.push_back(a);
      continue;
    }
    const std::string name = a.substr(0, eq);
    if (name == "--allow-gaps" || name == "--help")
      throw UsageError("option '" + name + "' takes no value");
    if (name != "--format" && name != "--output") {
      result.push_back(a);  // unknown: refused below, with a suggestion
      continue;
    }
    result.push_back(name);
    result.push_back(a.substr(eq + 1));
  }
  return result;
}

}  // namespace

int run_merge(const std::vector<std::string>& given, std::ostream& out, std::ostream& err) {
  try {
    const std::vector<std::string> args = split_inline_values(given);
    std::vector<std::string> files;
    bool allow_gaps = false, help = false;
    std::optional<Format> format;
    std::optional<std::string> output;
    bool options_ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (options_ended) {
        files.push_back(a);
        continue;
      }
      if (a == "--") {
        options_ended = true;
        continue;
      }
      const auto value = [&](const std::string& name) {
        if (i + 1 >= args.size()) throw UsageError("missing value for option '" + name + "'");
        return args[++i];
      };
      if (a == "--help" || a == "-h") {
        help = true;
      } else if (a == "--allow-gaps") {
        if (allow_gaps) throw UsageError("option '--allow-gaps' is given twice; give it once");
        allow_gaps = true;
      } else if (a == "--format") {
        if (format) throw UsageError("option '--format' is given twice; give it once");
        format = choose<Format>("format", value(a));
      } else if (a == "--output") {
        if (output) throw UsageError("option '--output' is given twice; give it once");
        output = value(a);
      } else if (a.starts_with("-")) {
        throw UsageError("merge: unknown option " + quote_arg(a) +
                         did_you_mean(a, {"--allow-gaps", "--format", "--help", "--output"}) +
                         "; see numfactors merge --help");
      } else {
        files.push_back(a);
      }
    }
    if (help) {
      out << merge_help_text() << std::flush;
      return kExitOk;
    }
    if (files.empty()) throw UsageError("merge: no files; see numfactors merge --help");
    // The result must not replace a part: the merge could not be done again.
    const std::string path = output ? output_path(*output) : "";
    for (const std::string& f : files) check_distinct_files(f, "merge: a part", path, "--output");
    std::vector<PartResult> parts;
    for (const std::string& f : files) parts.push_back(read_part(f));
    const Count count = parts.front().count;
    Histogram histogram;
    double seconds = 0, cpu_seconds = 0;
    u64 part_count = 0;
    // Every range a part counts (one, or those of an earlier merge with gaps), in order.
    struct Piece {
      Range range;
      const PartResult* part;
    };
    std::vector<Piece> pieces;
    for (const PartResult& p : parts) {
      if (p.count != count)
        throw UsageError("merge: " + describe(p) + " counts " + to_string(p.count) + ", " +
                         describe(parts.front()) + " " + to_string(count));
      for (const Range& r : p.covered) pieces.push_back({r, &p});
      histogram += p.histogram;
      seconds = std::max(seconds, p.seconds);  // the parts ran side by side
      cpu_seconds += p.cpu_seconds;
      if (__builtin_add_overflow(part_count, p.parts, &part_count))
        throw UsageError("merge: the parts' \"parts\" add up beyond 2^64-1");
    }
    std::sort(pieces.begin(), pieces.end(),
              [](const Piece& a, const Piece& b) { return a.range.lo < b.range.lo; });
    // An overlap anywhere is the error to report, before any gap.
    for (std::size_t i = 1; i < pieces.size(); ++i)
      if (pieces[i].range.lo <= pieces[i - 1].range.hi)
        throw UsageError("merge: " + describe(pieces[i - 1].part->file, pieces[i - 1].range) +
                         " and " + describe(pieces[i].part->file, pieces[i].range) + " overlap");
    std::vector<Range> covered{pieces.front().range};  // the union, in maximal ranges
    for (std::size_t i = 1; i < pieces.size(); ++i) {
      const Piece &prev = pieces[i - 1], &p = pieces[i];
      if (p.range.lo - 1 == prev.range.hi) {
        covered.back().hi = p.range.hi;
        continue;
      }
      if (!allow_gaps)
        throw UsageError("merge: a gap between " + describe(prev.part->file, prev.range) + " and " +
                         describe(p.part->file, p.range) + " (--allow-gaps merges them anyway)");
      covered.push_back(p.range);
    }
    const Range whole{covered.front().lo, covered.back().hi};
    std::string report;
    if (format == Format::json) {
      nlohmann::ordered_json j;
      j["min"] = whole.lo;
      j["max"] = whole.hi;
      j["count"] = to_string(count);
      j["parts"] = part_count;
      j["numbers"] = histogram.total();  // less than max - min + 1 with --allow-gaps
      // With gaps, the ranges counted: a later merge with the missing parts fills them.
      if (covered.size() > 1) {
        j["ranges"] = nlohmann::ordered_json::array();
        for (const Range& r : covered) j["ranges"].push_back({r.lo, r.hi});
      }
      j["seconds"] = json_seconds(seconds);
      j["cpu_seconds"] = json_seconds(cpu_seconds);
      j["histogram"] = nlohmann::ordered_json::object();
      for (unsigned k = 0; k <= Histogram::kMaxKey; ++k)
        if (histogram[k] != 0) j["histogram"][std::to_string(k)] = histogram[k];
      report = j.dump() + "\n";
    } else {
      Job job;  // only its range and count show in these formats
      job.range = whole;
      job.count = count;
      RunResult merged;
      merged.histogram = histogram;
      report = format_report(format.value_or(Format::dict), job, merged);
    }
    // AtomicFile refuses a file that is not a regular one, as the main command does.
    if (!path.empty()) {
      AtomicFile(path, "--output").commit(report);
    } else {
      out << report << std::flush;
    }
    return kExitOk;
  } catch (...) {
    return report_current_exception(err);
  }
}

}  // namespace numfactors
