/// @file options.cpp
/// @brief Hand-written parser: the seed's positional form (`s 10`, `[MIN] MAX`) and the long
/// options share one pass, and each failure gets its own exact message. To add an option: the
/// table below, the switch in apply(), help.cpp, README.md and tests/options_test.cpp (options
/// of the parallel modes: tests/cli_parallel_test.cpp).
#include "cli/options.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/number.hpp"
#include "cli/suggest.hpp"
#include "exec/quoted.hpp"

namespace numfactors {
namespace {

struct OptionSpec {
  std::string name;
  bool takes_value;
};

const std::vector<OptionSpec> kOptions = {
    {"--min", true},     {"--max", true},      {"--mode", true},       {"--workers", true},
    {"--chunk", true},   {"--kernel", true},   {"--count", true},      {"--format", true},
    {"--threads", true}, {"--schedule", true}, {"--timeline", true},   {"--checkpoint", true},
    {"--method", true},  {"--output", true},    {"--part", true},       {"--progress", false},
    {"--no-progress", false},
    {"--help", false},
    {"-h", false},       {"--version", false},
};

const OptionSpec* find_option(const std::string& name) {
  for (const auto& o : kOptions)
    if (o.name == name) return &o;
  return nullptr;
}

std::vector<std::string> option_names() {
  std::vector<std::string> names;
  for (const auto& o : kOptions) names.push_back(o.name);
  return names;
}

/// The seed's mode letters, in the order of choices<Mode>().
const std::vector<std::pair<std::string, Mode>> kModeLetters = {
    {"s", Mode::serial}, {"t", Mode::threads}, {"m", Mode::pool}, {"i", Mode::mpi}};

std::optional<Mode> mode_of_letter(const std::string& arg) {
  for (const auto& [letter, mode] : kModeLetters)
    if (arg == letter) return mode;
  return std::nullopt;
}

std::string letter_of(Mode mode) {
  for (const auto& [letter, m] : kModeLetters)
    if (m == mode) return letter;
  return "?";
}

bool is_option(const std::string& arg) {
  return arg.size() >= 2 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1]));
}

/// One argument, or an option with its value, as the command line reads: the one scan of argv
/// that parse_options validates and requested_mode reads leniently.
struct Token {
  bool option = false;
  std::string text;            // a positional argument, or the option's name
  std::string value;           // the option's value ("--max=5" or "--max 5")
  const OptionSpec* spec = nullptr;  // null: an unknown option
  bool inline_value = false;   // written "--name=value"
  bool missing_value = false;  // an option that takes a value, without one
};

std::vector<Token> scan(const std::vector<std::string>& args) {
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < args.size(); ++i) {
    Token t;
    if (args[i] == "--") {  // the usual end of the options: all that follows is positional
      for (++i; i < args.size(); ++i) {
        t.text = args[i];
        tokens.push_back(t);
      }
      break;
    }
    t.option = is_option(args[i]);
    if (!t.option) {
      t.text = args[i];
      tokens.push_back(t);
      continue;
    }
    const std::size_t eq = args[i].find('=');
    t.text = args[i].substr(0, eq);
    t.spec = find_option(t.text);
    t.inline_value = eq != std::string::npos;
    if (t.inline_value) {
      t.value = args[i].substr(eq + 1);
    } else if (t.spec != nullptr && t.spec->takes_value) {
      // An option that takes a value takes the next argument, unless that is a long option.
      if (i + 1 < args.size() && !args[i + 1].starts_with("--"))
        t.value = args[++i];
    }
    t.missing_value = t.spec != nullptr && t.spec->takes_value && t.value.empty();
    tokens.push_back(t);
  }
  return tokens;
}

u64 number_for(const std::string& option, const std::string& value) {
  try {
    return parse_number(value);
  } catch (const UsageError& e) {
    throw UsageError(option + ": " + e.what());
  }
}

u64 positive_for(const std::string& option, const std::string& value) {
  const u64 v = number_for(option, value);
  if (v == 0) throw UsageError(option + " must be at least 1 (got " + quote_arg(value) + ")");
  return v;
}

unsigned count_for(const std::string& option, const std::string& value) {
  const u64 n = positive_for(option, value);
  if (n > kMaxWorkers)
    throw UsageError(option + " must be at most " + std::to_string(kMaxWorkers) + " (got " +
                     quote_arg(value) + ")");
  return static_cast<unsigned>(n);
}

struct Parsed {
  Options options;
  std::optional<Mode> letter_mode;
  std::vector<std::string> numbers;  // positional numbers as given: MAX, or MIN MAX
  bool min_given = false, max_given = false;
};

void apply(Parsed& p, const std::string& name, const std::string& value) {
  Options& o = p.options;
  Request& q = o.request;
  if (name == "--min") {
    q.range.lo = positive_for(name, value);
    p.min_given = true;
  } else if (name == "--max") {
    q.range.hi = positive_for(name, value);
    p.max_given = true;
  } else if (name == "--mode") {
    q.mode = choose<Mode>("mode", value);
    o.mode_given = true;
  } else if (name == "--workers") {
    q.workers = count_for(name, value);
  } else if (name == "--chunk") {
    q.chunk = positive_for(name, value);
  } else if (name == "--kernel") {
    q.kernel = choose<KernelKind>("kernel", value);
  } else if (name == "--method") {
    q.method = choose<Method>("method", value);
  } else if (name == "--count") {
    q.count = choose<Count>("count", value);
  } else if (name == "--format") {
    o.format = choose<Format>("format", value);
  } else if (name == "--threads") {
    q.threads_per_rank = count_for(name, value);
  } else if (name == "--schedule") {
    q.schedule = choose<Schedule>("schedule", value);
  } else if (name == "--part") {
    // I/N: the I-th of N parts of equal cost (a job array's task I of N).
    const auto slash = value.find('/');
    if (slash == std::string::npos)
      throw UsageError("--part takes I/N, the I-th of N parts (got " + quote_arg(value) + ")");
    const u64 i = positive_for("--part", value.substr(0, slash));
    const u64 n = positive_for("--part", value.substr(slash + 1));
    if (n > 1'000'000 || i > n)
      throw UsageError("--part " + quote_arg(value) + ": I must be in 1..N, N at most 1000000");
    q.part = {static_cast<unsigned>(i), static_cast<unsigned>(n)};
  } else if (name == "--output") {
    o.output = value;
  } else if (name == "--timeline") {
    o.timeline = value;
  } else if (name == "--checkpoint") {
    o.checkpoint = value;
  } else if (name == "--progress" || name == "--no-progress") {
    o.progress = name == "--progress";
  } else if (name == "--help" || name == "-h") {
    o.help = true;
  } else if (name == "--version") {
    o.version = true;
  }
}

/// A positional argument: first an optional mode letter (s, t, m, i), then MAX, or MIN MAX.
void positional(Parsed& p, const std::string& arg, std::size_t index) {
  const bool looks_numeric = !arg.empty() && (std::isdigit(static_cast<unsigned char>(arg[0])) ||
                                              arg[0] == '-' || arg[0] == '.');
  // A mode letter first is the mode, also after --mode (the two must then agree); another word
  // is read as a mode only while no mode is given: after --mode it is extra.
  if (index == 0 && !looks_numeric)
    if (const std::optional<Mode> mode = mode_of_letter(arg)) {
      p.letter_mode = mode;
      return;
    }
  if (index == 0 && !looks_numeric && !p.options.mode_given) {
    // Words a user may try for the other command and for help.
    if (arg == "help") throw UsageError("unknown mode 'help'; for help: numfactors --help");
    if (arg == "merge") throw UsageError("'merge' goes first: numfactors merge FILE... [options]");
    if (closest(arg, {"merge"}) == "merge")
      throw UsageError(
          "unknown mode " + quote_arg(arg) +
          " (did you mean 'merge'? it goes first: numfactors merge FILE... [options])");
    // A mode's name (or a near miss of one) here is meant as its letter.
    std::vector<std::string> names;
    for (const auto& [letter, mode] : kModeLetters) names.push_back(to_string(mode));
    std::string meant = closest(arg, names);
    for (const std::string& name : names)
      if (arg.size() == 1 && name.starts_with(arg)) meant = name;  // p: pool

    for (const auto& [letter, mode] : kModeLetters) {
      if (meant.empty() || meant != to_string(mode)) continue;
      const std::string both = "'" + letter + "' or '--mode " + meant + "'";
      if (arg == meant)
        throw UsageError("a mode goes first as its letter: " + both + ", not '" + arg + "'");
      throw UsageError("unknown mode " + quote_arg(arg) + " (did you mean " + both + "?)");
    }
    std::vector<std::string> all;
    for (const auto& [letter, mode] : kModeLetters) all.push_back(letter);
    throw UsageError("unknown mode " + quote_arg(arg) + did_you_mean(arg, all) +
                     "; use s (serial), t (threads), m (pool) or i (mpi), or --mode NAME");
  }
  if (p.numbers.size() == 2)
    throw UsageError("unexpected argument " + quote_arg(arg) +
                     "; usage: numfactors [s|t|m|i] [[MIN] MAX] [options]");
  p.numbers.push_back(arg);  // read once all are known: the first is MIN when a second follows
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  // --help answers whatever else is on the line, as the options before it may be the mistake;
  // not where it stands for a value that is missing (--max --help).
  const std::vector<Token> tokens = scan(args);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    const bool in_a_values_place =
        i > 0 && tokens[i - 1].missing_value && !tokens[i - 1].inline_value;
    if (t.option && (t.text == "--help" || t.text == "-h") && !t.inline_value &&
        !in_a_values_place) {
      Options help;
      help.help = true;
      return help;
    }
  }
  Parsed p;
  std::size_t positional_index = 0;
  std::vector<std::pair<std::string, std::string>> seen;  // options given, each at most once
  for (const Token& t : tokens) {
    if (!t.option) {
      positional(p, t.text, positional_index++);
      continue;
    }
    if (t.spec == nullptr)
      throw UsageError("unknown option " + quote_arg(t.text) + did_you_mean(t.text, option_names()) +
                       "; see numfactors --help");
    if (t.missing_value) throw UsageError("missing value for option '" + t.text + "'");
    if (!t.spec->takes_value && t.inline_value)
      throw UsageError("option '" + t.text + "' takes no value");
    // An option given twice is a mistake to point at, as MAX with --max is, not the last one
    // silently taken. The pairs that set the same thing count as one.
    const std::string key = t.text == "-h"              ? "--help"
                            : t.text == "--no-progress" ? "--progress"
                                                        : t.text;
    // seen: each key with the spelling it was given as first.
    const auto earlier =
        std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
    if (earlier != seen.end())
      throw UsageError("option '" + t.text + "' is given twice" +
                       (earlier->second == t.text ? "" : " (with " + earlier->second + ")") +
                       "; give it once");
    seen.emplace_back(key, t.text);
    apply(p, t.text, t.value);
  }

  Options& o = p.options;
  if (p.letter_mode) {
    if (o.mode_given && o.request.mode != *p.letter_mode)
      throw UsageError("mode given twice: '" + letter_of(*p.letter_mode) + "' and --mode " +
                       to_string(o.request.mode));
    o.request.mode = *p.letter_mode;
    o.mode_given = true;
  }
  if (!p.numbers.empty()) {
    if (p.numbers.size() == 2) o.request.range.lo = positive_for("MIN", p.numbers.front());
    o.request.range.hi = positive_for("MAX", p.numbers.back());
    if (p.max_given) throw UsageError("the upper bound is given twice: MAX and --max");
    if (p.numbers.size() == 2 && p.min_given)
      throw UsageError("the lower bound is given twice: MIN and --min");
  }
  if (o.help || o.version) return o;
  // An empty range whose other bound is the default: say which default it met.
  const Range& r = o.request.range;
  const bool min_set = p.min_given || p.numbers.size() == 2;
  const bool max_set = p.max_given || !p.numbers.empty();
  if (r.lo > r.hi && min_set != max_set)
    throw UsageError("empty range: " +
                     (min_set
                          ? "min " + std::to_string(r.lo) + " is greater than the default max " +
                                std::to_string(r.hi) + " (give MAX or --max)"
                          : "max " + std::to_string(r.hi) + " is below the default min " +
                                std::to_string(r.lo) + " (give MIN or --min)"));
  check_range(r);
  return o;
}

std::optional<Mode> requested_mode(const std::vector<std::string>& args) {
  std::optional<Mode> mode;
  bool positional_seen = false;
  for (const Token& t : scan(args)) {
    if (!t.option) {
      if (!positional_seen)
        if (const std::optional<Mode> m = mode_of_letter(t.text)) mode = m;
      positional_seen = true;
    } else if (t.text == "--mode") {
      if (const std::optional<Mode> m = parse_choice<Mode>(t.value)) mode = m;
    }
  }
  return mode;
}

}  // namespace numfactors
