/// @file huge_pages.hpp
/// @brief Memory that loops read or write all over (a sieve segment, the buckets' slabs, the
/// analytic table), on transparent huge pages where the kernel grants them.
///
/// On 4 KB pages most such accesses also miss the TLB. Two threads of one process sieving their
/// own 1 MiB segments on 4 KB pages took a fifth more CPU time than two processes doing the same
/// (AMD EPYC, a virtual machine; the same on huge pages).
#pragma once

#include <cstddef>
#include <new>

namespace numfactors {

constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

/// bytes rounded up to whole huge pages (at least one): what huge_page_alloc maps.
constexpr std::size_t huge_page_round(std::size_t bytes) {
  return ((bytes == 0 ? 1 : bytes) + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
}

/// A mapping of huge_page_round(bytes), aligned to a huge page and asked for as huge pages
/// (madvise: only a hint; without them the memory works the same), zero and untouched until
/// written. Its address space is exactly its size (glibc's aligned_alloc would keep up to a huge
/// page more, which counts under ulimit -v). Throws std::bad_alloc.
void* huge_page_alloc(std::size_t bytes);
/// Returns a block of huge_page_alloc(bytes), with the same bytes.
void huge_page_free(void* block, std::size_t bytes) noexcept;

/// For std::vector: each allocation of half a huge page or more a block of huge_page_alloc;
/// smaller ones from the heap, as the kernel would fill a whole huge page (2 MiB of zeros) on the
/// first touch of a block that a tiny range's sieve writes a few bytes of.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kSmallBytes = kHugePageBytes / 2;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / 2 / sizeof(T)) throw std::bad_alloc();
    if (n * sizeof(T) < kSmallBytes) return static_cast<T*>(::operator new(n * sizeof(T)));
    return static_cast<T*>(huge_page_alloc(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kSmallBytes)
      ::operator delete(p);
    else
      huge_page_free(p, n * sizeof(T));
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace numfactors
