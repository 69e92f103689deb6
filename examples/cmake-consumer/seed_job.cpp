// The seed assignment through the installed library: the histogram of omega(n) over [2, 500000],
// printed as the assignment's Python dict.
#include <iostream>

#include <numfactors/numfactors.hpp>

int main() {
  const numfactors::Histogram h = numfactors::histogram(2, 500000);
  std::cout << numfactors::format_dict(h) << "\n";
}
