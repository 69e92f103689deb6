/// @file checkpoint_test.cpp
/// @brief The checkpoint journal: reopening gives back exactly the finished chunks, a torn last
/// record at any byte is dropped, and files of other runs or with damage inside are refused;
/// records reach the disk in batches (at most one sync every kSyncSeconds), all of them by
/// flush(); a journal of interleaved parts sums each part apart.
#include "exec/checkpoint.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <thread>

#include "core/kernel.hpp"
#include "job_helpers.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("numfactors-ckpt-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "run.ckpt").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Histogram chunk_histogram(u64 i) const {
    Histogram h;
    make_kernel(KernelKind::sieve, plan_.count, plan_.range.hi)->count(plan_.chunk(i), h);
    return h;
  }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void write(const std::string& text) const {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << text;
  }

  fs::path dir_;
  std::string path_;
  Plan plan_ = make_plan({2, 100'000}, Count::distinct, KernelKind::sieve, 7'000, 1);
};

TEST_F(CheckpointTest, ReopeningGivesBackTheFinishedChunks) {
  Histogram expected;
  {
    Checkpoint c(path_, plan_);
    EXPECT_EQ(c.state().done_count, 0u);
    for (u64 i : {0, 5, 14, 3}) {
      const Histogram h = chunk_histogram(i);
      c.record(i, h);
      expected += h;
    }
  }
  Checkpoint again(path_, plan_);
  const CheckpointState& s = again.state();
  EXPECT_EQ(s.done_count, 4u);
  EXPECT_FALSE(s.torn_record);
  EXPECT_EQ(s.sums[0], expected);
  EXPECT_EQ(s.done, (std::vector<u64>{0, 3, 5, 14}));
  EXPECT_EQ(CheckpointHeader::read(path_).value().chunk_size, 7'000u);
}

TEST_F(CheckpointTest, ATornLastRecordIsDroppedAtEveryByte) {
  {
    Checkpoint c(path_, plan_);
    c.record(1, chunk_histogram(1));
    c.record(2, chunk_histogram(2));
  }
  const std::string full = contents();
  const std::size_t last_start = full.rfind('\n', full.size() - 2) + 1;
  for (std::size_t cut = last_start; cut < full.size(); ++cut) {
    write(full.substr(0, cut));
    Checkpoint c(path_, plan_);
    EXPECT_EQ(c.state().done_count, 1u) << "cut at byte " << cut;
    EXPECT_EQ(c.state().done, std::vector<u64>{1});
    EXPECT_EQ(c.state().torn_record, cut > last_start) << cut;
    // The torn bytes are gone, so the next record starts on a clean line.
    c.record(2, chunk_histogram(2));
    c.flush();
    EXPECT_EQ(contents(), full) << cut;
  }
}

TEST_F(CheckpointTest, AFlippedChecksumInTheLastRecordCountsAsTorn) {
  {
    Checkpoint c(path_, plan_);
    c.record(0, chunk_histogram(0));
  }
  std::string text = contents();
  text[text.size() - 2] = text[text.size() - 2] == '0' ? '1' : '0';
  write(text);
  Checkpoint c(path_, plan_);
  EXPECT_TRUE(c.state().torn_record);
  EXPECT_EQ(c.state().done_count, 0u);
}

TEST_F(CheckpointTest, DamageBeforeTheLastRecordIsRefused) {
  {
    Checkpoint c(path_, plan_);
    c.record(0, chunk_histogram(0));
    c.record(1, chunk_histogram(1));
  }
  std::string text = contents();
  const std::size_t first_record = text.find('\n') + 1;
  text[first_record + 6] = '9';  // the chunk index of the first record
  write(text);
  EXPECT_THROW(Checkpoint(path_, plan_), CheckpointError);
}

TEST_F(CheckpointTest, AnotherRunsFileIsRefused) {
  { Checkpoint c(path_, plan_); }
  // The wheel's chunks of the same size are ranges of m, not of numbers: another run.
  for (const Plan& other :
       {make_plan({2, 100'001}, Count::distinct, KernelKind::sieve, 7'000, 1),
        make_plan({2, 100'000}, Count::total, KernelKind::sieve, 7'000, 1),
        make_plan({2, 100'000}, Count::distinct, KernelKind::wheel, 7'000, 1),
        make_plan({2, 100'000}, Count::distinct, KernelKind::sieve, 7'001, 1)}) {
    try {
      Checkpoint c(path_, other);
      ADD_FAILURE() << "accepted " << JournalFormat::of(other).header;
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find("belongs to another run"), std::string::npos);
    }
  }
}

TEST_F(CheckpointTest, AnyDirectKernelResumesAnothersFile) {
  // A chunk of numbers has one histogram whichever kernel counts it: the file of a sieve run is
  // the file of the same chunks under trial, factor, hybrid or auto, and gives back its chunks.
  Histogram saved;
  {
    Checkpoint c(path_, plan_);
    for (u64 i : {1, 4}) {
      c.record(i, chunk_histogram(i));
      saved += chunk_histogram(i);
    }
  }
  for (const KernelKind kernel : {KernelKind::trial, KernelKind::factor, KernelKind::hybrid,
                                  KernelKind::automatic, KernelKind::sieve}) {
    const Plan other = make_plan(plan_.range, plan_.count, kernel, plan_.chunk_size, 1);
    Checkpoint c(path_, other);
    EXPECT_EQ(c.state().done, (std::vector<u64>{1, 4})) << to_string(kernel);
    EXPECT_EQ(c.state().sums[0], saved) << to_string(kernel);
  }
}

/// A record as versions before the header-keyed checksums wrote it: FNV-1a of its body alone.
std::string unkeyed_record(u64 index, const Histogram& h) {
  std::string body = "chunk " + std::to_string(index) + " ";
  for (unsigned k = 0, first = 1; k <= Histogram::kMaxKey; ++k) {
    if (h[k] == 0) continue;
    if (!first) body += ',';
    body += std::to_string(k) + ":" + std::to_string(h[k]);
    first = 0;
  }
  std::uint64_t sum = 1469598103934665603ull;
  for (const unsigned char c : body) sum = (sum ^ c) * 1099511628211ull;
  std::ostringstream line;
  line << body << " " << std::hex << sum << "\n";
  return line.str();
}

TEST_F(CheckpointTest, AFileWrittenBeforeSpacesWereRecordedIsResumed) {
  {
    Checkpoint c(path_, plan_);  // the header
  }
  // An earlier version wrote kernel=trial where this one writes space=numbers, and checksummed
  // each record by itself.
  std::string text = contents();
  const std::string space = "space=numbers";
  text.replace(text.find(space), space.size(), "kernel=trial");
  write(text + unkeyed_record(2, chunk_histogram(2)));
  {
    Checkpoint again(path_, plan_);
    EXPECT_EQ(again.state().done, (std::vector<u64>{2}));
    EXPECT_EQ(again.state().sums[0], chunk_histogram(2));
    again.record(3, chunk_histogram(3));
  }
  EXPECT_EQ(Checkpoint(path_, plan_).state().done, (std::vector<u64>{2, 3}));
}

TEST_F(CheckpointTest, ARecordCopiedFromAnotherRunsJournalIsRefused) {
  // Another run of the same range and chunks, counting with multiplicity: its records have the
  // same shape and totals, and only the checksum keyed by the header tells them apart.
  const Plan total = make_plan({2, 100'000}, Count::total, KernelKind::sieve, 7'000, 1);
  const std::string other = (dir_ / "total.ckpt").string();
  {
    Checkpoint a(path_, plan_), b(other, total);
    for (u64 i = 0; i < 3; ++i) {
      a.record(i, chunk_histogram(i));
      Histogram h;
      make_kernel(KernelKind::sieve, Count::total, 100'000)->count(total.chunk(i), h);
      b.record(i, h);
    }
  }
  const auto line_of = [](const std::string& text, u64 index) {
    const auto at = text.find("\nchunk " + std::to_string(index) + " ") + 1;
    return text.substr(at, text.find('\n', at) + 1 - at);
  };
  std::string text = contents();
  std::ifstream in(other);
  const std::string theirs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string mine = line_of(text, 1);
  ASSERT_NE(mine, line_of(theirs, 1));
  text.replace(text.find(mine), mine.size(), line_of(theirs, 1));
  write(text);
  EXPECT_THROW(Checkpoint(path_, plan_), CheckpointError);
}

TEST_F(CheckpointTest, ARecordThatCannotBelongToThePlanIsRefused) {
  {
    Checkpoint c(path_, plan_);
    c.record(3, chunk_histogram(14));  // the short last chunk's counts under a full chunk's index
  }
  EXPECT_THROW(Checkpoint(path_, plan_), CheckpointError);
  fs::remove(path_);
  {
    Checkpoint c(path_, plan_);
    c.record(3, chunk_histogram(3));
    c.record(3, chunk_histogram(3));  // a chunk recorded twice
  }
  EXPECT_THROW(Checkpoint(path_, plan_), CheckpointError);
}

TEST_F(CheckpointTest, ATornHeaderIsRewritten) {
  const std::string header = JournalFormat::of(plan_).header;
  write(header.substr(0, 10));
  Checkpoint c(path_, plan_);
  EXPECT_EQ(c.state().done_count, 0u);
  EXPECT_EQ(contents(), header + "\n");
}

TEST_F(CheckpointTest, RecordsAreSyncedInBatchesAndAllOfThemByFlush) {
  const auto records = [this] {
    const std::string text = contents();
    return std::count(text.begin(), text.end(), '\n') - 1;
  };
  std::vector<Histogram> h;
  for (u64 i = 0; i < 6; ++i) h.push_back(chunk_histogram(i));
  const JournalFormat format = JournalFormat::of(plan_);
  {
    Checkpoint every(path_, format, 0.0);
    every.record(0, h[0]);
    EXPECT_EQ(records(), 1);
    every.record(1, h[1]);
    EXPECT_EQ(records(), 2);
  }
  fs::remove(path_);
  {
    Checkpoint hourly(path_, format, 3600.0);
    for (u64 i = 0; i < 3; ++i) hourly.record(i, h[i]);
    EXPECT_EQ(records(), 0);
    EXPECT_EQ(hourly.saved(), 0u);
    hourly.flush();
    EXPECT_EQ(records(), 3);
    EXPECT_EQ(hourly.saved(), 3u);
  }
  fs::remove(path_);
  {
    Checkpoint batched(path_, format, 0.05);
    batched.record(0, h[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    batched.record(1, h[1]);  // 50 ms after the last sync: takes the waiting record along
    EXPECT_EQ(records(), 2);
  }
}

TEST_F(CheckpointTest, TheDestructorWritesWhatIsLeft) {
  {
    Checkpoint c(path_, plan_);
    for (u64 i = 0; i < 6; ++i) c.record(i, chunk_histogram(i));
  }
  EXPECT_EQ(Checkpoint(path_, plan_).state().done_count, 6u);
}

TEST_F(CheckpointTest, OnlyAJournalThisRunMadeAndLeftEmptyIsRemoved) {
  {
    Checkpoint made(path_, plan_);
    made.remove_if_unused();
  }
  EXPECT_FALSE(fs::exists(path_));
  {
    Checkpoint recorded(path_, plan_);
    recorded.record(3, chunk_histogram(3));  // pending, not yet written
    recorded.remove_if_unused();
  }
  EXPECT_EQ(Checkpoint(path_, plan_).state().done_count, 1u);
  {
    Checkpoint resumed(path_, plan_);
    resumed.remove_if_unused();
  }
  EXPECT_TRUE(fs::exists(path_));
  fs::remove(path_);
  { Checkpoint header_only(path_, plan_); }  // an earlier run's, with nothing in it
  {
    Checkpoint found(path_, plan_);
    found.remove_if_unused();
  }
  EXPECT_TRUE(fs::exists(path_));
}

TEST_F(CheckpointTest, AJournalOpensOnlyWhileItsPathNamesIt) {
  // A run that made a journal and gave it up unlinks it before it lets the lock go: a second
  // run that opened it just before holds a lock on a file without a name, and opens again.
  { std::ofstream(path_) << "x"; }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(still_named(fd, path_));
  const std::string link = path_ + ".link";
  fs::create_symlink(path_, link);
  EXPECT_TRUE(still_named(fd, link));
  fs::remove(path_);
  EXPECT_FALSE(still_named(fd, path_));
  { std::ofstream(path_) << "x"; }  // another file of that name
  EXPECT_FALSE(still_named(fd, path_));
  ::close(fd);
  fs::remove(link);
}

TEST_F(CheckpointTest, InterleavedPartsAreSummedApartAndCheckedByTheFormat) {
  const std::string head = "numfactors-checkpoint 1 test=parts";
  const JournalFormat format{head, 2, [](u64 index, const Histogram& h) {
                               return index < 10 && h.total() == index + 1;
                             }};
  const auto of_size = [](u64 n) {
    Histogram h;
    h.add(static_cast<unsigned>(n % 3), n);
    return h;
  };
  Histogram even, odd;
  {
    Checkpoint c(path_, format);
    for (u64 i : {0, 3, 4, 7, 9}) {
      c.record(i, of_size(i + 1));
      (i % 2 == 0 ? even : odd) += of_size(i + 1);
    }
  }
  {
    Checkpoint again(path_, format);
    ASSERT_EQ(again.state().sums.size(), 2u);
    EXPECT_EQ(again.state().sums[0], even);
    EXPECT_EQ(again.state().sums[1], odd);
    EXPECT_EQ(again.state().done, (std::vector<u64>{0, 3, 4, 7, 9}));
    EXPECT_EQ(CheckpointHeader::read(path_), std::nullopt);  // not a numfactors run's header
    again.record(5, of_size(5));  // not what index 5 can hold
  }
  EXPECT_THROW(Checkpoint(path_, format), CheckpointError);
  EXPECT_EQ(CheckpointHeader::read(path_ + ".absent"), std::nullopt);
}

TEST(CheckpointHeaderText, WritesAndReadsEveryField) {
  using Space = CheckpointHeader::Space;
  const CheckpointHeader sieve{{2, 100'000}, Count::total, Method::sieve, Space::wheel, 7'000};
  EXPECT_EQ(sieve.text(),
            "numfactors-checkpoint 1 min=2 max=100000 count=total space=wheel chunk=7000");
  EXPECT_EQ(CheckpointHeader::parse(sieve.text()), sieve);
  const CheckpointHeader numbers{{2, 100'000}, Count::total, Method::sieve, Space::numbers, 7'000};
  EXPECT_EQ(numbers.text(),
            "numfactors-checkpoint 1 min=2 max=100000 count=total space=numbers chunk=7000");
  EXPECT_EQ(CheckpointHeader::parse(numbers.text()), numbers);
  // Headers written before spaces were recorded name the kernel: its chunks' space.
  for (const char* kernel : {"sieve", "trial"})
    EXPECT_EQ(CheckpointHeader::parse(std::string("numfactors-checkpoint 1 min=2 max=100000 "
                                                  "count=total kernel=") +
                                      kernel + " chunk=7000"),
              numbers);
  EXPECT_EQ(CheckpointHeader::parse(
                "numfactors-checkpoint 1 min=2 max=100000 count=total kernel=wheel chunk=7000"),
            sieve);
  // Every kernel but the wheel cuts the numbers themselves.
  for (const auto& [kernel, name] : choices<KernelKind>())
    EXPECT_EQ(CheckpointHeader::space_of(kernel),
              kernel == KernelKind::wheel ? Space::wheel : Space::numbers)
        << name;
  const CheckpointHeader analytic{
      {5, ~u64{0}}, Count::distinct, Method::analytic, Space::numbers, 0};
  EXPECT_EQ(analytic.text(),
            "numfactors-checkpoint 1 min=5 max=18446744073709551615 count=distinct "
            "method=analytic");
  EXPECT_EQ(CheckpointHeader::parse(analytic.text()), analytic);
  // A run's journal today: balanced items (an analytic header without them is an earlier one's).
  const CheckpointHeader balanced{{5, 9}, Count::total, Method::analytic, Space::numbers, 0, true};
  EXPECT_EQ(balanced.text(),
            "numfactors-checkpoint 1 min=5 max=9 count=total method=analytic items=balanced");
  EXPECT_EQ(CheckpointHeader::parse(balanced.text()), balanced);
  EXPECT_TRUE(CheckpointHeader::of(test::analytic_job({5, 9}, Count::total, Mode::serial, 1))
                  .balanced_items);
  for (const char* bad :
       {"", "numfactors-checkpoint 2 min=2 max=3 count=total kernel=sieve chunk=1",
        "numfactors-checkpoint 1 min=2 max=3 count=total kernel=sieve",
        "numfactors-checkpoint 1 min=2 max=3 count=all kernel=sieve chunk=1",
        "numfactors-checkpoint 1 min=2 max=3 count=total kernel=sieve chunk=0",
        "numfactors-checkpoint 1 min=2 max=3 min=2 count=total kernel=sieve chunk=1",
        "numfactors-checkpoint 1 min=2 max=3 count=total method=analytic chunk=1",
        "numfactors-checkpoint 1 min=2 max=3 count=total method=analytic items=exact",
        "numfactors-checkpoint 1 min=2 max=3 count=total method=analytic items=balanced "
        "items=balanced",
        "numfactors-checkpoint 1 min=2 max=3 count=total space=numbers chunk=1 items=balanced",
        "numfactors-checkpoint 1 min=2 max=3 count=total kernel=sieve chunk=1 ",
        "numfactors-checkpoint 1 min=x max=3 count=total kernel=sieve chunk=1",
        "numfactors-checkpoint 1 min=2 max=3 count=total kernel=hybrid chunk=1",
        "numfactors-checkpoint 1 min=2 max=3 count=total space=sieve chunk=1",
        "numfactors-checkpoint 1 min=2 max=3 count=total space=numbers kernel=sieve chunk=1"})
    EXPECT_EQ(CheckpointHeader::parse(bad), std::nullopt) << bad;
}


TEST(CheckpointLock, OneJournalOneRun) {
  const std::string path = "/tmp/numfactors_lock_" + std::to_string(getpid());
  std::remove(path.c_str());
  const Plan plan = make_plan({2, 100'000}, Count::distinct, KernelKind::sieve, 7'000, 1);
  {
    Checkpoint first(path, plan);
    try {
      Checkpoint second(path, plan);
      ADD_FAILURE() << "a second journal on the same file was opened";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find("is in use by another run (pid " +
                                           std::to_string(getpid())),
                std::string::npos)
          << e.what();
    }
  }
  // Released with the first: the file opens again.
  EXPECT_NO_THROW(Checkpoint(path, plan));
  std::remove(path.c_str());
}

TEST(CheckpointLock, NotARegularFile) {
  const Plan plan = make_plan({2, 100'000}, Count::distinct, KernelKind::sieve, 7'000, 1);
  EXPECT_THROW(Checkpoint("/dev/zero", plan), CheckpointError);
  EXPECT_THROW(Checkpoint("/tmp", plan), std::exception);
}

}  // namespace
}  // namespace numfactors
