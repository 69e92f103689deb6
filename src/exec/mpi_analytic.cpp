/// @file mpi_analytic.cpp
/// @brief The analytic method's table on MPI ranks: the ranks of one machine build one table
/// together in memory they share, as threads do; machines build halves and swap them.
///
/// Ranks that share memory (MPI_COMM_TYPE_SHARED) form a group. The group's table lives in an
/// MPI-3 shared window, and every step of the build is cut into pieces that all threads of all
/// its ranks claim from one word in that window, in the order the steps must run
/// (PrimeCountTable::Role, SharedControl): a build on two ranks of one machine costs what it
/// costs on two threads, and the machine holds the table once. Steps too short to split (most
/// of the ~pi(sqrt n) rounds, about 0.2 s of the 6.6 s of a build at 10^14) run on the group's
/// first rank, the leader, alone.
///
/// With two groups or more (ranks on several machines), even groups build the odd-d half of the
/// large keys and odd groups the even-d half (PrimeCountTable::Share: the halves are independent,
/// the small keys are built by both), then group 0's first rank sends every group's first rank
/// the odd half and group 1's the even half. The walk's items are then dealt out by run_mpi.
#include <mpi.h>
#include <sched.h>

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <atomic>
#include <climits>
#include <memory>
#include <exception>
#include <new>
#include <stdexcept>
#include <vector>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "core/huge_pages.hpp"
#include "exec/mpi_threads.hpp"

namespace numfactors {
namespace {

using mpi_detail::check;

/// Broadcasts `values` (the same size on every rank) from `root`, sleeping between polls so that
/// a rank waiting for the other half leaves its core to the ranks still building.
void quiet_broadcast(MPI_Comm comm, std::vector<std::uint64_t>& values, int root) {
  // r/2 values with r = floor(sqrt(n)) < 2^32: fewer than 2^31, an int count.
  MPI_Request request;
  check(MPI_Ibcast(values.data(), static_cast<int>(values.size()), MPI_UINT64_T, root, comm,
                   &request),
        "MPI_Ibcast");
  mpi_detail::Backoff backoff;
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    backoff.idle();
  }
}

/// MPI_Allreduce of the maximum of two values, sleeping between polls as quiet_broadcast does.
void quiet_allreduce_max(MPI_Comm comm, std::uint64_t (&values)[2]) {
  std::uint64_t in[2] = {values[0], values[1]};
  MPI_Request request;
  check(MPI_Iallreduce(in, values, 2, MPI_UINT64_T, MPI_MAX, comm, &request), "MPI_Iallreduce");
  mpi_detail::Backoff backoff;
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    backoff.idle();
  }
}

static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  std::atomic<std::uint64_t>::is_always_lock_free &&
                  sizeof(std::atomic<std::uint32_t>) == 4,
              "the shared window's atomics must work across processes");

/// Sleeps until *word != value or a wake-up (spurious returns are fine: callers loop). Lock-free
/// atomics are plain words in memory, so the processes mapping the window share them; the futex
/// is the process-shared kind (no FUTEX_PRIVATE_FLAG).
void wait_while(std::atomic<std::uint32_t>& word, std::uint32_t value) {
#ifdef __linux__
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, value, nullptr, nullptr,
          0);
#else
  if (word.load(std::memory_order_acquire) == value) sched_yield();
#endif
}

void wake_all(std::atomic<std::uint32_t>& word) {
#ifdef __linux__
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr,
          0);
#else
  (void)word;
#endif
}

/// Pause iterations a waiting rank spins (about 0.1 ms) before it sleeps or yields: the other
/// ranks are usually microseconds away, unless the machine runs more processes than cores.
constexpr int kSpins = 4096;

/// A step's pieces are claimed from one word: the step's number in the top kStepBits, the
/// first index not yet handed out below. Indices are < 2^33 (keys <= sqrt(n) < 2^32, plus
/// a piece a thread past the end); steps of at least kSharedMinStep keys number fewer than
/// 2^26 (at most 3 a round for the rounds with n / p^2 >= 2^11, p < 2^27).
constexpr unsigned kIndexBits = 38;
constexpr u64 kIndexMask = (u64{1} << kIndexBits) - 1;
constexpr u64 kMaxSteps = u64{1} << (64 - kIndexBits);

/// The start of the shared window: the current step of the build, and a barrier of the
/// group's ranks.
///
/// Steps without a barrier: the leader publishes step k (its number and first index in `next`,
/// after resetting `done`) once step k - 1 and its own short steps are done, claims pieces
/// like everyone, then waits until `done` counts every key of the step. A helper waits until
/// step k is published, claims pieces while `next` still names step k, adds each finished
/// piece to `done`, and goes on without waiting. So no rank waits for another to arrive (a
/// rank the machine has not scheduled just claims nothing), only for pieces already claimed;
/// a claim of a stale step fails because the number in `next` changed; and everything written
/// before a publication (release) or a piece's end (release add to `done`) is seen by the
/// ranks that read them (acquire).
struct alignas(64) SharedControl {
  std::atomic<std::uint64_t> next{0};  // (step << kIndexBits) | first index not handed out
  alignas(64) std::atomic<std::uint64_t> done{0};  // keys of the current step finished
  alignas(64) std::atomic<std::uint32_t> published{0};  // the current step's number
  std::atomic<std::uint32_t> sleepers{0};               // helpers asleep on `published`
  alignas(64) std::atomic<std::uint32_t> arrived{0};
  std::atomic<std::uint32_t> generation{0};  // barriers passed

  /// Published instead of a step when the leader stops the build.
  static constexpr std::uint32_t kStopped = 0xFFFFFFFFu;

  void publish(u64 step, u64 begin) {
    done.store(0, std::memory_order_relaxed);
    next.store(step << kIndexBits | begin, std::memory_order_release);
    // seq_cst with the helper's sleepers increment then published check: one of the two sees
    // the other, so no helper sleeps through a publication.
    published.store(static_cast<std::uint32_t>(step), std::memory_order_seq_cst);
    if (sleepers.load(std::memory_order_seq_cst) > 0) wake_all(published);
  }

  /// The leader stops the build: every helper waiting for a step, or coming to one, gives up.
  void publish_stop() {
    next.store(~u64{0}, std::memory_order_release);  // no piece of any step is claimed after it
    published.store(kStopped, std::memory_order_seq_cst);
    if (sleepers.load(std::memory_order_seq_cst) > 0) wake_all(published);
  }
  bool stopped() const { return published.load(std::memory_order_acquire) == kStopped; }

  /// Returns when step `step` (or a later one) is published; throws Stopped when the leader
  /// stopped the build instead.
  void await(u64 step) {
    const auto target = static_cast<std::uint32_t>(step);
    const auto before = [&] { return published.load(std::memory_order_acquire) < target; };
    for (int spin = 0; spin < kSpins && before(); ++spin) cpu_pause();
    while (before()) {
      sleepers.fetch_add(1, std::memory_order_seq_cst);
      const std::uint32_t seen = published.load(std::memory_order_seq_cst);
      if (seen < target) wait_while(published, seen);
      sleepers.fetch_sub(1, std::memory_order_relaxed);
    }
    if (stopped()) throw Stopped{};
  }

  /// Runs body on pieces of [.., end) of step `step` until none is left to claim.
  void claim(u64 step, u64 end, u64 piece, const RangeBody& body) {
    u64 word = next.load(std::memory_order_acquire);
    for (;;) {
      const u64 lo = word & kIndexMask;
      if (word >> kIndexBits != step || lo >= end) return;
      if (!next.compare_exchange_weak(word, word + piece, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        continue;
      const u64 hi = std::min(end, lo + piece);
      body(lo, hi);
      done.fetch_add(hi - lo, std::memory_order_release);
      word = next.load(std::memory_order_acquire);
    }
  }

  /// Returns when `keys` keys of the current step are done.
  void finish(u64 keys) const {
    for (int spin = 0; done.load(std::memory_order_acquire) < keys; ++spin)
      if (spin < kSpins)
        cpu_pause();
      else
        sched_yield();
  }

  /// Returns when all `ranks` have arrived. The last one to arrive resets `arrived` before it
  /// bumps `generation` (release), so a rank that saw the new generation (acquire) and arrives
  /// at the next barrier counts from 0; everything written before arriving is visible to every
  /// rank after.
  void barrier(std::uint32_t ranks) {
    const std::uint32_t seen = generation.load(std::memory_order_acquire);
    if (arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == ranks) {
      arrived.store(0, std::memory_order_relaxed);
      generation.store(seen + 1, std::memory_order_release);
      wake_all(generation);
      return;
    }
    for (int spin = 0; spin < kSpins; ++spin) {
      if (generation.load(std::memory_order_acquire) != seen) return;
      cpu_pause();
    }
    while (generation.load(std::memory_order_acquire) == seen) wait_while(generation, seen);
  }
};

constexpr std::size_t kControlBytes = (sizeof(SharedControl) + 127) / 128 * 128;

/// Steps of at least this many keys are shared by the group's ranks. Below the threads' limit
/// (PrimeCountTable::kMinParallelStep) only the ranks' main threads take part: a rank spinning
/// for the next step starts within a microsecond or two, while waking threads costs tens. At
/// 10^14 this leaves about 0.2 s of short steps to the leader alone instead of 0.9 s.
constexpr u64 kSharedMinStep = u64{1} << 11;

/// Pieces a step is cut into per rank of the group, and the slots each rank's threads are
/// offered: a thread takes a slot and then claims pieces until none is left, so any thread
/// count up to kSlots joins in (later slots find the step spent). Short steps go in a few
/// pieces of at least kSharedMinStep / 2 keys, each worth a contended compare-exchange.
constexpr u64 kPiecesPerRank = 32;
constexpr u64 kShortPiecesPerRank = 4;
constexpr u64 kSlots = 64;

/// The ranks of this machine (at most max_group of them if max_group > 0) and their table
/// window; and the first ranks of all groups, who exchange halves when there are several groups.
class RankGroup {
 public:
  RankGroup(MPI_Comm world, int max_group) : group_(mpi_detail::machine_comm(world, max_group)) {
    int world_rank = 0;
    MPI_Comm_rank(world, &world_rank);
    MPI_Comm_rank(group_, &rank_);
    MPI_Comm_size(group_, &size_);
    check(MPI_Comm_split(world, rank_ == 0 ? 0 : MPI_UNDEFINED, world_rank, &leaders_),
          "MPI_Comm_split");
    int where[2] = {0, 1};  // this group's index among the groups, and how many there are
    if (leaders_ != MPI_COMM_NULL) {
      MPI_Comm_rank(leaders_, &where[0]);
      MPI_Comm_size(leaders_, &where[1]);
    }
    check(MPI_Bcast(where, 2, MPI_INT, 0, group_), "MPI_Bcast");
    index_ = where[0];
    groups_ = where[1];
  }
  ~RankGroup() {
    if (leaders_ != MPI_COMM_NULL) MPI_Comm_free(&leaders_);
    MPI_Comm_free(&group_);
  }
  RankGroup(const RankGroup&) = delete;
  RankGroup& operator=(const RankGroup&) = delete;

  bool leader() const { return rank_ == 0; }
  int index() const { return index_; }
  int groups() const { return groups_; }
  MPI_Comm leaders() const { return leaders_; }
  SharedControl& control() const { return *control_; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(size_); }

  /// Asks for huge pages under the table, before any rank touches it (each rank's own mapping:
  /// a page is made by the rank that touches it first). Only a hint: the kernel grants them to
  /// shared memory only when /sys/kernel/mm/transparent_hugepage/shmem_enabled allows (advise,
  /// within_size or always) and the window is System V or anonymous shared memory
  /// (OMPI_MCA_shmem=sysv); Open MPI's default backs it with a file.
  static void advise_huge_pages(char* begin, std::size_t bytes) {
    const auto first =
        (reinterpret_cast<std::uintptr_t>(begin) + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
    const auto last = (reinterpret_cast<std::uintptr_t>(begin) + bytes) & ~(kHugePageBytes - 1);
#ifdef MADV_HUGEPAGE
    if (first < last) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
    (void)first, (void)last;
#endif
  }

  /// Collective over the group: a shared window of kControlBytes + bytes, held by the returned
  /// pointer and freed (collectively) with the last copy of it; every rank of the group frees
  /// it at the same point of the run, where the table that holds it goes.
  std::shared_ptr<void> allocate(std::size_t bytes) {
    MPI_Win window;
    void* const base =
        mpi_detail::shared_window(group_, static_cast<MPI_Aint>(kControlBytes + bytes), window);
    advise_huge_pages(static_cast<char*>(base) + kControlBytes, bytes);
    control_ = static_cast<SharedControl*>(base);
    if (leader()) new (control_) SharedControl;
    MPI_Barrier(group_);  // the control block is set before anyone uses it
    // An exception on its way out means this rank is failing and the job will be aborted: the
    // other ranks would not join a collective free.
    return {static_cast<char*>(base) + kControlBytes, [window](void*) mutable {
              int finalized = 0;
              MPI_Finalized(&finalized);
              if (!finalized && std::uncaught_exceptions() == 0) MPI_Win_free(&window);
            }};
  }

  /// The ParallelFor of this rank's share of the build (see SharedControl): every rank calls it
  /// for the same steps in the same order, and the pieces go to whichever thread of whichever
  /// rank claims them first. The leader's call returns when the step is done everywhere.
  ParallelFor shared_for(const ParallelFor& local) const {
    SharedControl* control = control_;
    const bool lead = leader();
    const std::uint32_t ranks = size();
    auto steps = std::make_shared<u64>(0);  // calls so far: the number of the step
    return [control, lead, ranks, local, steps](u64 begin, u64 end, const RangeBody& body) {
      const u64 step = ++*steps;
      if (step >= kMaxSteps) throw std::logic_error("too many steps for the shared build");
      if (lead)
        control->publish(step, begin);
      else
        control->await(step);
      if (end - begin < PrimeCountTable::kMinParallelStep)
        control->claim(step, end,
                       std::max(kSharedMinStep / 2, (end - begin) / (kShortPiecesPerRank * ranks)),
                       body);
      else
        local(0, kSlots, [&](u64, u64) {
          control->claim(step, end, std::max<u64>(1, (end - begin) / (kPiecesPerRank * ranks)),
                         body);
        });
      if (lead) control->finish(end - begin);
    };
  }

 private:
  MPI_Comm group_ = MPI_COMM_NULL;
  MPI_Comm leaders_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, index_ = 0, groups_ = 1;
  SharedControl* control_ = nullptr;
};

}  // namespace

namespace mpi_detail {

TableBuilt build_table_shared(PrimeCountTable& table, const ParallelFor& parallel_for,
                              const PrimeCountTable::Progress& progress, const TableStart& start,
                              int max_group) {
  const boost::mpi::communicator world;
  const auto signalled = [&] { return start.stop != nullptr && start.stop->load() != 0; };
  if (world.size() == 1) {
    if (start.rounds_done > 0) start.load(table);
    const std::size_t done =
        table.build(parallel_for, progress, PrimeCountTable::Share::all,
                    PrimeCountTable::Role::leader, PrimeCountTable::kMinParallelStep,
                    start.rounds_done, signalled);
    return {done, true};
  }
  using Share = PrimeCountTable::Share;
  RankGroup group(MPI_Comm(world), max_group);
  if (group.size() > 1)
    table.place_keys([&group](std::size_t bytes) { return group.allocate(bytes); });
  // One group holds the whole table in its window, its leader being rank 0: only then is there
  // one state to resume from or to save.
  const bool one_group = group.groups() == 1;
  const std::size_t from = one_group ? start.rounds_done : 0;
  if (from > 0 && group.leader()) start.load(table);
  const Share mine = one_group                ? Share::all
                     : group.index() % 2 == 0 ? Share::odd
                                              : Share::even;
  const auto role = group.leader() ? PrimeCountTable::Role::leader : PrimeCountTable::Role::helper;
  // The leader decides where the group stops, at a round's start, and tells its helpers through
  // the window (they may be waiting for that round's first step).
  const PrimeCountTable::StopHere stop_here = [&] {
    if (!group.leader()) return group.control().stopped();
    if (!signalled()) return false;
    if (group.size() > 1) group.control().publish_stop();
    return true;
  };
  std::size_t done = 0;
  bool gave_up = false;
  try {
    if (group.size() > 1)
      done = table.build(group.shared_for(parallel_for), progress, mine, role, kSharedMinStep,
                         from, stop_here);
    else
      done = table.build(parallel_for, progress, mine, role, PrimeCountTable::kMinParallelStep,
                         from, stop_here);
  } catch (const Stopped&) {
    gave_up = true;  // a helper: the leader stopped the group
  }
  if (group.size() > 1) group.control().barrier(group.size());  // the leader's last steps
  // Every rank learns whether any group stopped, and how far rank 0's group got.
  std::uint64_t state[2] = {gave_up || done < table.rounds() ? 1u : 0u,
                            world.rank() == 0 ? done : 0};
  quiet_allreduce_max(MPI_Comm(world), state);
  const bool rank0_whole = one_group && world.rank() == 0;
  if (state[0] != 0) return {one_group ? static_cast<std::size_t>(state[1]) : 0, rank0_whole};
  if (mine == Share::all) return {table.rounds(), rank0_whole};

  if (group.leader()) {
    const u64 odd_count = (table.root() + 1) / 2;  // d = 1, 3, ... <= root
    for (const Share share : {Share::odd, Share::even}) {
      const int root = share == Share::odd ? 0 : 1;
      std::vector<std::uint64_t> values =
          share == mine ? table.export_large(share)
                        : std::vector<std::uint64_t>(share == Share::odd ? odd_count
                                                                         : table.root() / 2);
      quiet_broadcast(group.leaders(), values, root);
      if (share != mine) table.import_large(share, values);
    }
  }
  if (group.size() > 1) group.control().barrier(group.size());  // the other half imported
  return {table.rounds(), false};
}

}  // namespace mpi_detail
}  // namespace numfactors
