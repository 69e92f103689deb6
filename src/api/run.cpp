/// @file run.cpp
/// @brief The one-call entry points: a request planned in this process's environment, then run.
#include "numfactors/run.hpp"

namespace numfactors {

RunResult run(const Request& request, const Hooks& hooks) {
  Environment env = current_environment();
  Request planned = request;
  if (!hooks.checkpoint.empty()) {
    env.checkpoint = checkpoint_facts(hooks.checkpoint);
    planned.checkpoint = true;
  }
  return run(plan_job(planned, env), hooks);
}

Histogram histogram(u64 lo, u64 hi, Count count) {
  Request request;
  request.range = {lo, hi};
  request.count = count;
  return run(request).histogram;
}

}  // namespace numfactors
