/// @file options.cpp
/// @brief Hand-written parser: the seed's positional form (`s 10`) and the long options share one
/// pass, and each failure gets its own exact message. To add an option: the table below, the
/// switch in apply(), help.cpp, README.md and tests/cli_options_test.cpp (options of the parallel
/// modes: tests/cli_parallel_test.cpp).
#include "cli/options.hpp"

#include <optional>

#include "cli/number.hpp"
#include "cli/suggest.hpp"
#include "core/plan.hpp"
#include "exec/checkpoint.hpp"

namespace numfactors {
namespace {

/// The kernel a checkpoint header names (kernel=sieve), when it is one the range can run; else
/// default_kernel(r). A file of another run is refused later, when it is opened.
KernelKind kernel_of_checkpoint(const std::optional<std::string>& header, const Range& r) {
  const KernelKind fallback = default_kernel(r);
  const std::optional<std::string> named =
      header ? Checkpoint::header_field(*header, "kernel") : std::nullopt;
  for (const KernelKind k : {KernelKind::sieve, KernelKind::trial, KernelKind::wheel})
    if (named == to_string(k))
      return k != KernelKind::wheel || fallback == KernelKind::wheel ? k : fallback;
  return fallback;
}

struct OptionSpec {
  std::string name;
  bool takes_value;
};

const std::vector<OptionSpec> kOptions = {
    {"--min", true},   {"--max", true},    {"--mode", true},   {"--workers", true},
    {"--chunk", true}, {"--kernel", true}, {"--count", true},  {"--format", true},
    {"--threads", true}, {"--schedule", true}, {"--timeline", true},
    {"--checkpoint", true}, {"--method", true}, {"--progress", false}, {"--no-progress", false},
    {"--help", false}, {"-h", false},      {"--version", false},
};

std::vector<std::string> option_names() {
  std::vector<std::string> names;
  for (const auto& o : kOptions) names.push_back(o.name);
  return names;
}

/// Looks `value` up among `names`; the index, or a UsageError that suggests the closest name.
std::size_t choose(const std::string& what, const std::string& value,
                   const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (value == names[i]) return i;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw UsageError("unknown " + what + " '" + value + "'" + did_you_mean(value, names) +
                   "; choose one of " + list);
}

const std::vector<std::string> kModeNames = {"serial", "threads", "pool", "mpi"};
const std::vector<std::string> kModeLetters = {"s", "t", "m", "i"};

u64 number_for(const std::string& option, const std::string& value) {
  try {
    return parse_number(value);
  } catch (const UsageError& e) {
    throw UsageError(option + ": " + e.what());
  }
}

u64 positive_for(const std::string& option, const std::string& value) {
  const u64 v = number_for(option, value);
  if (v == 0) throw UsageError(option + " must be at least 1 (got " + value + ")");
  return v;
}

struct Parsed {
  Options options;
  std::optional<Mode> letter_mode;
  std::optional<u64> positional_max;
  bool max_given = false;
};

void apply(Parsed& p, const std::string& name, const std::string& value) {
  Options& o = p.options;
  if (name == "--min") {
    o.range.lo = positive_for(name, value);
  } else if (name == "--max") {
    o.range.hi = positive_for(name, value);
    p.max_given = true;
  } else if (name == "--mode") {
    o.mode = static_cast<Mode>(choose("mode", value, kModeNames));
    o.mode_given = true;
  } else if (name == "--workers") {
    const u64 w = positive_for(name, value);
    if (w > kMaxWorkers)
      throw UsageError("--workers must be at most " + std::to_string(kMaxWorkers) + " (got " +
                       value + ")");
    o.workers = static_cast<unsigned>(w);
  } else if (name == "--chunk") {
    o.chunk = positive_for(name, value);
  } else if (name == "--kernel") {
    o.kernel = static_cast<KernelKind>(choose("kernel", value, {"sieve", "trial", "wheel"}));
    o.kernel_given = true;
  } else if (name == "--method") {
    o.method = static_cast<Method>(choose("method", value, {"sieve", "analytic", "auto"}));
  } else if (name == "--count") {
    o.count = static_cast<Count>(choose("count", value, {"distinct", "total"}));
  } else if (name == "--format") {
    o.format = static_cast<Format>(choose("format", value, {"dict", "json", "table", "csv"}));
  } else if (name == "--threads") {
    const u64 t = positive_for(name, value);
    if (t > kMaxWorkers)
      throw UsageError("--threads must be at most " + std::to_string(kMaxWorkers) + " (got " +
                       value + ")");
    o.threads = static_cast<unsigned>(t);
  } else if (name == "--schedule") {
    o.schedule = static_cast<Schedule>(choose("schedule", value, {"static", "dynamic"}));
    o.schedule_given = true;
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

/// A positional argument: first an optional mode letter (s, t, m, i), then N for [2, N].
void positional(Parsed& p, const std::string& arg, std::size_t index) {
  const bool looks_numeric = !arg.empty() && (std::isdigit(static_cast<unsigned char>(arg[0])) ||
                                              arg[0] == '-' || arg[0] == '.');
  // A word is read as the mode letter only while no mode is given: after --mode it is extra.
  if (index == 0 && !looks_numeric && !p.options.mode_given) {
    for (std::size_t i = 0; i < kModeLetters.size(); ++i)
      if (arg == kModeLetters[i]) {
        p.letter_mode = static_cast<Mode>(i);
        return;
      }
    std::vector<std::string> all = kModeLetters;
    all.insert(all.end(), kModeNames.begin(), kModeNames.end());
    throw UsageError("unknown mode '" + arg + "'" + did_you_mean(arg, all) +
                     "; use s (serial), t (threads), m (pool) or i (mpi), or --mode NAME");
  }
  if (p.positional_max || index > 1)
    throw UsageError("unexpected argument '" + arg + "'; usage: numfactors [s|t|m|i] [N] [options]");
  p.positional_max = positive_for("N", arg);
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Parsed p;
  std::size_t positional_index = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_option = arg.size() >= 2 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1]));
    if (!is_option) {
      positional(p, arg, positional_index++);
      continue;
    }
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const OptionSpec* spec = nullptr;
    for (const auto& o : kOptions)
      if (o.name == name) spec = &o;
    if (!spec)
      throw UsageError("unknown option '" + name + "'" + did_you_mean(name, option_names()) +
                       "; see numfactors --help");
    std::string value;
    if (spec->takes_value) {
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size() && !(args[i + 1].starts_with("--"))) {
        value = args[++i];
      } else {
        throw UsageError("missing value for option '" + name + "'");
      }
      if (value.empty()) throw UsageError("missing value for option '" + name + "'");
    } else if (eq != std::string::npos) {
      throw UsageError("option '" + name + "' takes no value");
    }
    apply(p, name, value);
  }

  Options& o = p.options;
  if (p.letter_mode) {
    if (o.mode_given && o.mode != *p.letter_mode)
      throw UsageError("mode given twice: '" + kModeLetters[static_cast<int>(*p.letter_mode)] +
                       "' and --mode " + to_string(o.mode));
    o.mode = *p.letter_mode;
    o.mode_given = true;
  }
  if (p.positional_max) {
    if (p.max_given) throw UsageError("the upper bound is given twice: N and --max");
    o.range.hi = *p.positional_max;
  }
  if (!o.help && !o.version) check_range(o.range);
  // No --kernel: the wheel where it pays. The choice depends on the range alone, so the same
  // command resumes the same checkpoint; one written with the plain sieve (as before the wheel
  // was the default) goes on with it.
  if (!o.checkpoint.empty()) o.checkpoint_header = Checkpoint::header_in(o.checkpoint);
  if (!o.kernel_given) o.kernel = kernel_of_checkpoint(o.checkpoint_header, o.range);
  if (o.mode_given) check_mode_options(o);
  check_method_options(o);
  return o;
}

void check_method_options(const Options& o) {
  if (o.method != Method::analytic) return;
  if (o.kernel_given && o.kernel != KernelKind::sieve)
    throw UsageError("--kernel " + to_string(o.kernel) + " is a kernel of the sieve method; "
                     "--method analytic visits no numbers (use --method sieve --kernel " +
                     to_string(o.kernel) + ")");
  if (o.chunk != 0)
    throw UsageError("--chunk cuts the range for the sieve method; --method analytic cuts its "
                     "own work into items");
}

Method resolve_method(const Options& o) {
  if (o.method == Method::analytic) check_analytic_fits(o.range);
  if (o.method != Method::automatic) return o.method;
  if (o.kernel_given || o.chunk != 0) return Method::sieve;
  if (o.checkpoint_header)
    return Checkpoint::header_field(*o.checkpoint_header, "method") == "analytic"
               ? Method::analytic
               : Method::sieve;
  return analytic_is_cheaper(o.range) ? Method::analytic : Method::sieve;
}

void check_mode_options(const Options& o) {
  if (o.mode == Mode::mpi) {
    if (o.workers != 0)
      throw UsageError("--workers does not apply to MPI mode: mpiexec -n N sets the ranks and "
                       "--threads T the threads of each rank");
    return;
  }
  const std::string mode = to_string(o.mode);
  if (o.threads != 0)
    throw UsageError("--threads sets the threads of each MPI rank; in " + mode +
                     " mode use --workers");
  if (o.schedule_given)
    throw UsageError("--schedule applies to MPI mode; " + mode +
                     " mode always hands out chunks on request");
}

std::optional<Mode> requested_mode(const std::vector<std::string>& args) {
  std::optional<Mode> mode;
  bool positional_seen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_option =
        arg.size() >= 2 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1]));
    if (!is_option) {
      if (!positional_seen)
        for (std::size_t m = 0; m < kModeLetters.size(); ++m)
          if (arg == kModeLetters[m]) mode = static_cast<Mode>(m);
      positional_seen = true;
      continue;
    }
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else {
      // As parse_options reads it: an option that takes a value takes the next argument.
      bool takes_value = false;
      for (const auto& o : kOptions)
        if (o.name == name) takes_value = o.takes_value;
      if (takes_value && i + 1 < args.size() && !args[i + 1].starts_with("--")) value = args[++i];
    }
    if (name == "--mode")
      for (std::size_t m = 0; m < kModeNames.size(); ++m)
        if (value == kModeNames[m]) mode = static_cast<Mode>(m);
  }
  return mode;
}

}  // namespace numfactors
