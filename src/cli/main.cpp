/// @file main.cpp
/// @brief numfactors: the library plus this main().
#include <iostream>
#include <string>
#include <vector>

#include "cli/app.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return nf::run_app(args, std::cout, std::cerr);
}
