/// @file app.cpp
#include "cli/app.hpp"

#include <iostream>
#include <new>

#include "cli/help.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/version.hpp"
#include "core/plan.hpp"
#include "exec/executor.hpp"

namespace nf {

int run_app(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    const Options o = parse_options(args);
    if (o.help) {
      out << help_text() << std::flush;
      return kExitOk;
    }
    if (o.version) {
      out << "numfactors " << NUMFACTORS_VERSION << "\n" << std::flush;
      return kExitOk;
    }
    const unsigned workers =
        o.mode == Mode::serial ? 1 : (o.workers != 0 ? o.workers : available_cores());
    const Plan plan = make_plan(o.range, o.count, o.kernel, o.chunk, workers);
    RunOptions run_options;
    run_options.mode = o.mode;
    run_options.workers = workers;
    const RunResult result = run(plan, run_options);
    // The report is built whole before anything is written: an error never leaves half of it.
    const std::string report =
        format_report(o.format, RunInfo{o.range, o.count, o.kernel, o.mode, workers}, result);
    out << report << std::flush;
    return kExitOk;
  } catch (const UsageError& e) {
    err << "numfactors: error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    err << "numfactors: error: out of memory; try a smaller --chunk or fewer --workers\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "numfactors: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace nf
