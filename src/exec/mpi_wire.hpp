/// @file mpi_wire.hpp
/// @brief How the types ranks exchange are serialised for Boost.MPI. Included by mpi*.cpp only.
#pragma once

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <array>

#include "exec/mpi.hpp"
#include "exec/mpi_deal.hpp"
#include "numfactors/job.hpp"
#include "numfactors/result.hpp"

namespace numfactors {

/// What one rank sends rank 0 after its chunks: its workers' statistics and timeline.
struct RankReport {
  std::vector<WorkerStats> workers;
  std::vector<ChunkEvent> timeline;  // ChunkEvent::worker indexes `workers`
};

/// Message tags of the dynamic schedule: notes to rank 0, chunk indices from it.
enum MpiTag : int { kTagRequest = 1, kTagChunk = 2 };

/// What a rank other than 0 sends rank 0 (tag kTagRequest): a finished chunk with its histogram
/// (so rank 0 can journal it and show progress as it happens), a request for a chunk, or its last
/// note; plain u64s, so no serialisation.
constexpr std::size_t kNoteChunk = 0;  // a finished chunk, or kNoMoreChunks for none
constexpr std::size_t kNoteFlags = 1;
constexpr std::size_t kNoteBins = 2;   // Histogram::kMaxKey + 1 bins
constexpr std::size_t kNoteSize = kNoteBins + Histogram::kMaxKey + 1;
using Note = std::array<u64, kNoteSize>;
constexpr u64 kNoteWantsChunk = 1;  // answer with a chunk index (tag kTagChunk)
constexpr u64 kNoteLast = 2;        // this rank sends nothing more

/// Marks a note that carries no finished chunk. Chunk indices are < chunk_count() <= 2^64-1, so
/// this one is never a real chunk.
constexpr u64 kNoMoreChunks = ~u64{0};

/// Rank 0's answer to a request (tag kTagChunk): [0] how many chunks follow (0: none is left),
/// then their indices. Guided self-scheduling: a batch is a share of what is left, so a rank
/// makes few round trips while much is left and the last chunks still spread out one by one.
constexpr std::size_t kMaxBatch = 64;
using Batch = std::array<u64, kMaxBatch + 1>;

}  // namespace numfactors

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, numfactors::Range& r, unsigned) {
  ar & r.lo & r.hi;
}

// Every field of Job travels; a field added to Job must be added here (this size check fails
// first to say so).
static_assert(sizeof(numfactors::Job) == 88, "serialize every field of Job");

template <class Archive>
void serialize(Archive& ar, numfactors::Job& j, unsigned) {
  ar & j.range & j.count & j.method & j.kernel & j.chunk_size & j.mode & j.workers & j.ranks &
      j.threads_per_rank & j.schedule & j.notes;
}

template <class Archive>
void serialize(Archive& ar, numfactors::MpiJob& j, unsigned) {
  ar & j.exit_status & j.job & j.timeline;
}

template <class Archive>
void serialize(Archive& ar, numfactors::Deal& d, unsigned) {
  ar & d.chunks & d.ranks & d.position;
}

template <class Archive>
void serialize(Archive& ar, numfactors::WorkerStats& w, unsigned) {
  ar & w.name & w.chunks & w.numbers & w.busy_seconds;
}

template <class Archive>
void serialize(Archive& ar, numfactors::ChunkEvent& e, unsigned) {
  ar & e.worker & e.chunk & e.range & e.start & e.end;
}

template <class Archive>
void serialize(Archive& ar, numfactors::RankReport& r, unsigned) {
  ar & r.workers & r.timeline;
}

}  // namespace boost::serialization
