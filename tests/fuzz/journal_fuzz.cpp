/// @file journal_fuzz.cpp
/// @brief libFuzzer target: a checkpoint file, which a user or a crash may have left in any
/// state. Opening it gives a consistent state or a CheckpointError (a file the system refuses:
/// std::runtime_error), never a crash, a hang or a record taken twice; a journal that opened goes
/// on taking records. The header parser gives back what it reads.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "exec/checkpoint.hpp"
#include "numfactors/errors.hpp"

namespace {

using numfactors::Checkpoint;
using numfactors::CheckpointHeader;
using numfactors::Histogram;
using numfactors::JournalFormat;

const std::string kHeader = "numfactors-checkpoint 1 min=2 max=1000 count=distinct kernel=sieve chunk=100";

/// Records of chunks 0..9 of [2, 1000], in two parts: a chunk holds at most 100 numbers.
JournalFormat format() {
  return {kHeader, 2, [](numfactors::u64 index, const Histogram& h) {
            return index < 10 && h.total() <= 100;
          }};
}

std::string path() {
  static const std::string p = "/tmp/numfactors_journal_fuzz_" + std::to_string(getpid());
  return p;
}

void check_open(const std::string& file) {
  std::FILE* f = std::fopen(path().c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fwrite(file.data(), 1, file.size(), f);
  std::fclose(f);
  try {
    std::set<numfactors::u64> seen;
    numfactors::u64 next = 0;
    {
      Checkpoint journal(path(), format());
      const auto& s = journal.state();
      numfactors::u64 total = 0;
      for (const Histogram& h : s.sums) total += h.total();
      for (const numfactors::u64 i : s.done)
        if (!seen.insert(i).second) std::abort();  // a record taken twice
      if (s.done_count != s.done.size() || total != s.done_numbers) std::abort();
      while (seen.count(next) != 0) ++next;
      if (next >= 10) return;
      Histogram one;
      one.add(1, 1);
      journal.record(next, one);
    }
    Checkpoint again(path(), format());
    if (again.state().done_count != seen.size() + 1) std::abort();  // the new record was kept
  } catch (const numfactors::CheckpointError&) {
  } catch (const std::runtime_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  // The header parser: what it accepts it writes back the same way.
  const std::string first_line = input.substr(0, input.find('\n'));
  if (const auto h = CheckpointHeader::parse(first_line)) {
    const auto again = CheckpointHeader::parse(h->text());
    if (!again || !(*again == *h)) std::abort();
  }
  // The journal: as fuzzed, and after a valid header (to reach the records).
  check_open(input);
  check_open(kHeader + "\n" + input);
  std::remove(path().c_str());
  return 0;
}
