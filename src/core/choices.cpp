/// @file choices.cpp
/// @brief The name tables of the choices (choices.hpp). To add a value: its enum, its row here,
/// and where the command line's --help describes it (cli/help.cpp).
#include "numfactors/choices.hpp"

#include <array>

namespace numfactors {
namespace {

constexpr std::array<Choice<Count>, 2> kCounts{{{Count::distinct, "distinct"}, {Count::total, "total"}}};
constexpr std::array<Choice<Method>, 3> kMethods{
    {{Method::sieve, "sieve"}, {Method::analytic, "analytic"}, {Method::automatic, "auto"}}};
constexpr std::array<Choice<KernelKind>, 6> kKernels{{{KernelKind::automatic, "auto"},
                                                      {KernelKind::sieve, "sieve"},
                                                      {KernelKind::wheel, "wheel"},
                                                      {KernelKind::hybrid, "hybrid"},
                                                      {KernelKind::factor, "factor"},
                                                      {KernelKind::trial, "trial"}}};
constexpr std::array<Choice<Mode>, 4> kModes{{{Mode::serial, "serial"},
                                              {Mode::threads, "threads"},
                                              {Mode::pool, "pool"},
                                              {Mode::mpi, "mpi"}}};
constexpr std::array<Choice<Schedule>, 2> kSchedules{
    {{Schedule::static_cyclic, "static"}, {Schedule::dynamic, "dynamic"}}};
constexpr std::array<Choice<Format>, 4> kFormats{{{Format::dict, "dict"},
                                                  {Format::json, "json"},
                                                  {Format::table, "table"},
                                                  {Format::csv, "csv"}}};

}  // namespace

template <>
std::span<const Choice<Count>> choices<Count>() { return kCounts; }
template <>
std::span<const Choice<Method>> choices<Method>() { return kMethods; }
template <>
std::span<const Choice<KernelKind>> choices<KernelKind>() { return kKernels; }
template <>
std::span<const Choice<Mode>> choices<Mode>() { return kModes; }
template <>
std::span<const Choice<Schedule>> choices<Schedule>() { return kSchedules; }
template <>
std::span<const Choice<Format>> choices<Format>() { return kFormats; }

}  // namespace numfactors
