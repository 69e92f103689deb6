/// @file huge_pages.cpp
#include "core/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdlib>

namespace numfactors {

void* huge_page_alloc(std::size_t bytes) {
  const std::size_t rounded = huge_page_round(bytes);
  void* const block = std::aligned_alloc(kHugePageBytes, rounded);
  if (block == nullptr) throw std::bad_alloc();
  (void)madvise(block, rounded, MADV_HUGEPAGE);  // only a hint
  return block;
}

}  // namespace numfactors
