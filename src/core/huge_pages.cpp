/// @file huge_pages.cpp
#include "core/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace numfactors {

void* huge_page_alloc(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(-1) / 2) throw std::bad_alloc();
  const std::size_t size = huge_page_round(bytes);
  // A huge page more than needed, then its unaligned ends returned: the block is aligned and
  // its address space exactly size.
  void* const mapped = mmap(nullptr, size + kHugePageBytes, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(mapped);
  const std::uintptr_t aligned = (start + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (aligned > start) munmap(mapped, aligned - start);
  const std::uintptr_t end = start + size + kHugePageBytes;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  void* const block = reinterpret_cast<void*>(aligned);
  (void)madvise(block, size, MADV_HUGEPAGE);  // only a hint
  return block;
}

void huge_page_free(void* block, std::size_t bytes) noexcept {
  if (block != nullptr) munmap(block, huge_page_round(bytes));
}

}  // namespace numfactors
