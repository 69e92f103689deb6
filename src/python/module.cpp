/// @file module.cpp
/// @brief numfactors._numfactors, the compiled part of the Python package: arguments checked and
/// errors worded in Python terms, runs that release the GIL, answer Ctrl-C and report progress
/// on the calling thread. The package's __init__.py holds the public functions and documents
/// them.

#include <pybind11/pybind11.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "numfactors/numfactors.hpp"

namespace py = pybind11;

namespace {

using numfactors::u64;

/// At most as many workers as the command line allows: each is a thread or a process, and a
/// mistyped count should fail here rather than in the system.
constexpr unsigned kMaxWorkers = 4096;

/// How often the calling thread looks for a signal (Ctrl-C) and reports progress while a run
/// goes on: a twentieth of a second is prompt for a person and costs nothing measurable.
constexpr auto kPollInterval = std::chrono::milliseconds(50);

/// Runs with hi at most this, in at most kDirectMaxChunks chunks, in this process (not the
/// trial kernel, not pool processes) take a few milliseconds at most: they run on the calling
/// thread (GIL released) without the helper thread and its polling, which would cost tens of
/// microseconds on calls that take a few (histogram(2, 10)). The sieve of [1, 2^22] is about 2
/// ms on a core, the analytic method's about 0.1 ms; the default plans cut it in 32 chunks or
/// fewer, and chunk=1 in four million, which take seconds.
constexpr u64 kDirectMaxHi = u64{1} << 22;
constexpr u64 kDirectMaxChunks = 64;

std::string type_name(py::handle value) { return Py_TYPE(value.ptr())->tp_name; }

std::string repr_of(py::handle value) { return py::str(py::repr(value)); }

/// Python's bools, and numpy's, which have an __index__ (deprecated): no more integers.
bool is_bool(py::handle value) {
  if (PyBool_Check(value.ptr())) return true;
  const std::string_view type = Py_TYPE(value.ptr())->tp_name;
  return type == "numpy.bool_" || type == "numpy.bool";
}

/// What a range's bound may be, for the errors.
constexpr const char* kNumbers = "numbers are ints in [1, 2**64-1]";

/// An integer argument in [0, 2^64-1]: an int or any object with __index__ (numpy's integers),
/// not a float, a str or a bool (TypeError). An int outside the range is a ValueError (ending
/// with `allowed`), as lo=0 is, and as Python's own chr(-1) or bytes([256]) are: its type was
/// right, its value not.
u64 u64_argument(py::handle value, const char* name, const std::string& allowed) {
  if (is_bool(value) || !PyIndex_Check(value.ptr()))
    throw py::type_error(std::string(name) + " must be an int, not " + type_name(value));
  const py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
  if (!index) throw py::error_already_set();
  const unsigned long long v = PyLong_AsUnsignedLongLong(index.ptr());
  if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    const bool negative = PyObject_RichCompareBool(index.ptr(), py::int_(0).ptr(), Py_LT) == 1;
    throw py::value_error(
        std::string(name) + "=" + repr_of(index) +
        (negative ? " is negative" : " is beyond 2**64-1 = 18446744073709551615") + ": " + allowed);
  }
  return v;
}

/// A count (workers, chunk): None for the planner's choice (0), else an int at least 1.
u64 count_argument(py::handle value, const char* name, const std::string& allowed) {
  if (value.is_none()) return 0;
  const u64 n = u64_argument(value, name, allowed);
  if (n == 0) throw py::value_error(std::string(name) + " must be at least 1 (got 0)");
  return n;
}

/// The choice of E named by a str argument; the names are the library's table, shared with the
/// command line.
template <class E>
E choice_argument(py::handle value, const char* name, const char* what) {
  if (!PyUnicode_Check(value.ptr()))
    throw py::type_error(std::string(name) + " must be a str (one of " +
                         numfactors::choice_list<E>() + "), not " + type_name(value));
  const std::string text = value.cast<std::string>();
  if (const std::optional<E> e = numfactors::parse_choice<E>(text)) return *e;
  // The closest name by Python's own measure (difflib), as the command line suggests one.
  std::string suggestion;
  try {
    py::list names;
    for (const auto& c : numfactors::choices<E>()) names.append(py::str(std::string(c.name)));
    const py::list close =
        py::module_::import("difflib").attr("get_close_matches")(py::str(text), names, 1);
    if (!close.empty()) suggestion = " (did you mean '" + close[0].cast<std::string>() + "'?)";
  } catch (const py::error_already_set&) {
    // No suggestion then: the error itself is what matters.
  }
  throw py::value_error("unknown " + std::string(what) + " '" + text + "'" + suggestion +
                        "; choose one of " + numfactors::choice_list<E>());
}

/// The request of a call's arguments. mode='mpi' is refused here: MPI ranks are processes that
/// mpiexec starts, which a Python call cannot become.
numfactors::Request request_of(py::handle lo, py::handle hi, py::handle count, py::handle method,
                               py::handle kernel, py::handle workers, py::handle mode,
                               py::handle chunk) {
  numfactors::Request q;
  q.range = {u64_argument(lo, "lo", kNumbers), u64_argument(hi, "hi", kNumbers)};
  q.count = choice_argument<numfactors::Count>(count, "count", "count");
  q.method = choice_argument<numfactors::Method>(method, "method", "method");
  if (!kernel.is_none())
    q.kernel = choice_argument<numfactors::KernelKind>(kernel, "kernel", "kernel");
  q.mode = choice_argument<numfactors::Mode>(mode, "mode", "mode");
  if (q.mode == numfactors::Mode::mpi)
    throw py::value_error(
        "mode='mpi' needs processes started by mpiexec: run the numfactors program "
        "(mpiexec -n N numfactors i ...), or call histogram() on each mpi4py rank with its own "
        "part of the range and reduce; from one process use mode='threads' or 'pool'");
  const u64 w = count_argument(
      workers, "workers", "workers is None or an int in [1, " + std::to_string(kMaxWorkers) + "]");
  if (w > kMaxWorkers)
    throw py::value_error("workers must be at most " + std::to_string(kMaxWorkers) + " (got " +
                          std::to_string(w) + ")");
  q.workers = static_cast<unsigned>(w);
  q.chunk = count_argument(chunk, "chunk", "chunk is None or an int in [1, 2**64-1]");
  return q;
}

double monotonic_seconds() {
  // libstdc++'s steady_clock is CLOCK_MONOTONIC, the clock of Python's time.monotonic().
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// A run and when it ran (time.monotonic() seconds, taken with the GIL released).
struct Timed {
  numfactors::RunResult result;
  double started = 0;
  double finished = 0;
};

Timed run_timed(const numfactors::Job& job, const numfactors::Hooks& hooks) {
  Timed t;
  t.started = monotonic_seconds();
  t.result = numfactors::run(job, hooks);
  t.finished = monotonic_seconds();
  return t;
}

/// The Python error the calling thread took while the run went on (a KeyboardInterrupt, or an
/// exception of the progress callable), held without the GIL until it is raised again.
class PendingError {
 public:
  PendingError() = default;
  PendingError(const PendingError&) = delete;
  PendingError& operator=(const PendingError&) = delete;
  ~PendingError() {
    if (!type_) return;
    py::gil_scoped_acquire gil;
    Py_XDECREF(type_);
    Py_XDECREF(value_);
    Py_XDECREF(traceback_);
  }
  /// Takes the current Python error (GIL held).
  void fetch() { PyErr_Fetch(&type_, &value_, &traceback_); }
  bool set() const { return type_ != nullptr; }
  /// Sets it as the current Python error again and throws (GIL held).
  [[noreturn]] void raise() {
    PyErr_Restore(std::exchange(type_, nullptr), std::exchange(value_, nullptr),
                  std::exchange(traceback_, nullptr));
    throw py::error_already_set();
  }

 private:
  PyObject* type_ = nullptr;
  PyObject* value_ = nullptr;
  PyObject* traceback_ = nullptr;
};

/// Runs `job` on a helper thread while the calling thread, GIL released, waits in steps of
/// kPollInterval; between steps it takes the GIL for a moment to run Python's signal handlers
/// (PyErr_CheckSignals: Ctrl-C in a script's main thread or a notebook kernel) and to call
/// `progress(done, total)` when the run has moved. A signal's exception, or one the progress
/// callable raises, cancels the run (no new chunk starts; running chunks finish) and is raised
/// once the helper thread has joined. Called with the GIL held.
Timed run_polling(const numfactors::Job& job, const py::object& progress) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;
    numfactors::Progress progress;  // the latest the run reported
    u64 reports = 0;                // how many it reported, to call the callable only on news
    Timed timed;
    std::exception_ptr error;
  } shared;

  numfactors::CancelToken cancel;
  numfactors::Hooks hooks;
  hooks.cancel = &cancel;
  // Called on the run's worker threads without the GIL: only stores, for the calling thread.
  if (!progress.is_none())
    hooks.progress = [&shared](const numfactors::Progress& p) {
      std::lock_guard lock(shared.mutex);
      shared.progress = p;
      ++shared.reports;
    };

  PendingError pending;
  u64 reported = 0;
  // Calls progress(done, total) if the run reported something new since the last call (GIL
  // held); an exception of the callable becomes the pending error and cancels the run.
  const auto report = [&]() {
    numfactors::Progress p;
    {
      std::lock_guard lock(shared.mutex);
      if (shared.reports == reported) return;
      reported = shared.reports;
      p = shared.progress;
    }
    try {
      progress(p.done, p.total);
    } catch (py::error_already_set& e) {
      e.restore();
      pending.fetch();
      cancel.cancel(SIGINT);
    }
  };

  {
    py::gil_scoped_release release;
    std::thread helper([&]() {
      Timed timed;
      std::exception_ptr error;
      try {
        timed = run_timed(job, hooks);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard lock(shared.mutex);
      shared.timed = std::move(timed);
      shared.error = error;
      shared.finished = true;
      shared.finished_cv.notify_one();
    });
    for (;;) {
      {
        std::unique_lock lock(shared.mutex);
        if (shared.finished_cv.wait_for(lock, kPollInterval, [&] { return shared.finished; }))
          break;
      }
      if (pending.set()) continue;  // cancelled: wait for the running chunks
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) {
        pending.fetch();
        cancel.cancel(SIGINT);
        continue;
      }
      if (!progress.is_none()) report();
    }
    helper.join();
  }
  if (pending.set()) pending.raise();
  if (shared.error) std::rethrow_exception(shared.error);
  // The last report (done == total) may have come after the last poll.
  if (!progress.is_none()) {
    report();
    if (pending.set()) pending.raise();
  }
  return std::move(shared.timed);
}

/// Plans `request` in this process's environment (the cores of its affinity mask).
numfactors::Job plan(const numfactors::Request& request) {
  return numfactors::plan_job(request, numfactors::current_environment());
}

/// Runs `job` (GIL held on entry and exit, released while counting).
Timed run_job(const numfactors::Job& job, const py::object& progress) {
  const bool sieve = job.method == numfactors::Method::sieve;
  // The chunks of [1, hi] bound those both of numbers and of the wheel's m.
  const bool direct = progress.is_none() && job.range.hi <= kDirectMaxHi &&
                      job.mode != numfactors::Mode::pool &&
                      !(sieve && job.kernel == numfactors::KernelKind::trial) &&
                      !(sieve && (job.range.hi - 1) / job.chunk_size + 1 > kDirectMaxChunks);
  if (!direct) return run_polling(job, progress);
  py::gil_scoped_release release;
  return run_timed(job, {});
}

py::dict histogram_dict(const numfactors::Histogram& h) {
  py::dict d;
  for (unsigned k = 0; k <= numfactors::Histogram::kMaxKey; ++k)
    if (h[k] != 0) d[py::int_(k)] = py::int_(h[k]);
  return d;
}

py::dict histogram_call(py::handle lo, py::handle hi, py::handle count, py::handle method,
                        py::handle kernel, py::handle workers, py::handle mode, py::handle chunk,
                        const py::object& progress) {
  const numfactors::Job job = plan(request_of(lo, hi, count, method, kernel, workers, mode, chunk));
  return histogram_dict(run_job(job, progress).result.histogram);
}

/// Everything about a run, as a dict the package turns into its Result class.
py::dict run_call(py::handle lo, py::handle hi, py::handle count, py::handle method,
                  py::handle kernel, py::handle workers, py::handle mode, py::handle chunk,
                  const py::object& progress) {
  const numfactors::Job job = plan(request_of(lo, hi, count, method, kernel, workers, mode, chunk));
  const Timed t = run_job(job, progress);
  py::list workers_list;
  for (const numfactors::WorkerStats& w : t.result.workers)
    workers_list.append(py::make_tuple(w.name, w.chunks, w.numbers, w.busy_seconds));
  const bool sieve = job.method == numfactors::Method::sieve;
  py::dict d;
  d["histogram"] = histogram_dict(t.result.histogram);
  d["lo"] = job.range.lo;
  d["hi"] = job.range.hi;
  d["count"] = numfactors::to_string(job.count);
  d["method"] = numfactors::to_string(job.method);
  d["kernel"] = sieve ? py::object(py::str(numfactors::to_string(job.kernel))) : py::none();
  d["mode"] = numfactors::to_string(job.mode);
  d["chunk_size"] = sieve ? py::object(py::int_(job.chunk_size)) : py::none();
  d["workers"] = workers_list;
  d["tasks"] = t.result.tasks;
  d["seconds"] = t.result.seconds;
  d["started"] = t.started;
  d["finished"] = t.finished;
  return d;
}

/// The library's errors in Python terms: the command line's wording with keyword arguments for
/// flags. Every InvalidRequest is a ValueError (asking otherwise fixes it), TableTooLarge too;
/// std::bad_alloc is a MemoryError; Unavailable and other failures a RuntimeError.
void translate(std::exception_ptr error) {
  using numfactors::ConflictError;
  try {
    if (error) std::rethrow_exception(error);
  } catch (const numfactors::TableTooLarge& e) {
    const std::string limit =
        e.limited_by == "the table budget"
            ? " (at most " + std::to_string(e.limit >> 20) + " MiB)"
            : ", and " + e.limited_by + " allows " + std::to_string(e.limit >> 20) + " MiB";
    const std::string text = "method='analytic' would need about " + std::to_string(e.bytes >> 20) +
                             " MiB a process for the prime count table of " + std::to_string(e.n) +
                             limit +
                             "; use method='sieve', which needs little memory, or a smaller hi";
    PyErr_SetString(PyExc_ValueError, text.c_str());
  } catch (const numfactors::TooManyWorkers& e) {
    const std::string text = "workers=" + std::to_string(e.workers) + " would need about " +
                             std::to_string(e.bytes >> 20) + " MiB (" +
                             std::to_string((e.worker_bytes >> 20) + 1) + " MiB a worker), and " +
                             e.limited_by + " allows " + std::to_string(e.limit >> 20) +
                             " MiB; use fewer workers";
    PyErr_SetString(PyExc_ValueError, text.c_str());
  } catch (const numfactors::KernelRangeError& e) {
    std::string text = e.what();
    if (e.kernel == numfactors::KernelKind::wheel && e.range.hi > (u64{1} << 62) - 1)
      text = "kernel='wheel' counts up to 2**62-1; use kernel='sieve' beyond";
    else if (e.kernel == numfactors::KernelKind::wheel)
      text =
          "kernel='wheel' sieves [1, hi] and is for ranges near 1 (lo-1 at most 2*hi/3); use "
          "kernel='sieve' for this window";
    PyErr_SetString(PyExc_ValueError, text.c_str());
  } catch (const ConflictError& e) {
    std::string text = e.what();
    if (e.kind == ConflictError::Kind::kernel_with_analytic)
      text = "kernel='" + e.value +
             "' is a kernel of the sieve method; method='analytic' visits "
             "no numbers (use method='sieve', kernel='" +
             e.value + "')";
    else if (e.kind == ConflictError::Kind::workers_in_serial)
      text = "workers=" + e.value + " with mode='serial', which runs one worker (use "
             "mode='threads' or 'pool')";
    else if (e.kind == ConflictError::Kind::chunk_with_analytic)
      text =
          "chunk cuts the range for the sieve method; method='analytic' cuts its own work "
          "into items";
    PyErr_SetString(PyExc_ValueError, text.c_str());
  } catch (const numfactors::RangeError& e) {
    const std::string text = e.range.lo == 0
                                 ? "lo must be at least 1 (got 0)"
                                 : "empty range: lo " + std::to_string(e.range.lo) +
                                       " is greater than hi " + std::to_string(e.range.hi);
    PyErr_SetString(PyExc_ValueError, text.c_str());
  } catch (const numfactors::InvalidRequest& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, "out of memory; try fewer workers or a smaller chunk");
  }
  // Anything else goes on to pybind11's own translation (std::runtime_error: RuntimeError).
}

/// Seconds a call of numfactors::histogram(lo, hi) takes from C++, the mean of `repeat` calls
/// in a loop: the library's own time, which scripts/bench sets beside a Python call's.
double cpp_call_seconds(py::handle lo, py::handle hi, py::handle repeat) {
  const u64 a = u64_argument(lo, "lo", kNumbers), b = u64_argument(hi, "hi", kNumbers);
  const u64 n = count_argument(repeat, "repeat", "repeat is None or an int in [1, 2**64-1]");
  py::gil_scoped_release release;
  u64 sink = 0;
  const double start = monotonic_seconds();
  for (u64 i = 0; i < std::max<u64>(n, 1); ++i) sink += numfactors::histogram(a, b).total();
  const double seconds = (monotonic_seconds() - start) / static_cast<double>(std::max<u64>(n, 1));
  if (sink == 0 && b >= a) throw std::logic_error("no number counted");
  return seconds;
}

py::tuple names_of(const char* which) {
  const auto names = [](auto table) {
    py::list list;
    for (const auto& c : table) list.append(py::str(std::string(c.name)));
    return py::tuple(list);
  };
  const std::string w = which;
  if (w == "count") return names(numfactors::choices<numfactors::Count>());
  if (w == "method") return names(numfactors::choices<numfactors::Method>());
  if (w == "kernel") return names(numfactors::choices<numfactors::KernelKind>());
  if (w == "mode") return names(numfactors::choices<numfactors::Mode>());
  throw py::value_error("no choice named '" + w + "'");
}

}  // namespace

PYBIND11_MODULE(_numfactors, m) {
  m.doc() = "The compiled part of numfactors; use the functions of the numfactors package.";
  m.attr("__version__") = NUMFACTORS_VERSION;
  py::register_exception_translator(translate);
  for (const auto& [name, function] :
       {std::pair{"histogram", &histogram_call}, std::pair{"run", &run_call}}) {
    m.def(name, function, py::arg("lo"), py::arg("hi"), py::arg("count"), py::arg("method"),
          py::arg("kernel"), py::arg("workers"), py::arg("mode"), py::arg("chunk"),
          py::arg("progress"));
  }
  m.def("cpp_call_seconds", &cpp_call_seconds, py::arg("lo"), py::arg("hi"), py::arg("repeat"));
  m.def("choices", &names_of, py::arg("which"));
}
