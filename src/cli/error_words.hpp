/// @file error_words.hpp
/// @brief The library's errors worded for the command line: in flags, one line, with the exit
/// status they lead to.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

namespace numfactors {

enum ExitStatus { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

/// `text` with its control characters (C0, DEL, C1 in UTF-8) and any byte that is not part of
/// well-formed UTF-8 (a lone 0x9b is CSI to an 8-bit terminal) written as escapes (\\n, \\t,
/// \\x1b): a message that echoes what a user typed or a file held stays one line, and cannot
/// drive the terminal.
std::string printable(std::string_view text);

/// Writes "numfactors: error: <message>" (printable) and a newline on `err` in one write and
/// flushes: pieces written one by one can be split by other text on the same stream (an MPI job's
/// abort banner).
void write_error_line(std::ostream& err, const std::string& message);

/// What the command line says of running out of memory, with the flag that sets the workers of a
/// process: --workers, or in an MPI rank --threads.
std::string out_of_memory_words(bool mpi_rank);

/// Call from a catch block: writes the exception being handled as one line
/// "numfactors: error: ..." on `err` and returns the exit status for it (2 for an
/// InvalidRequest, which asking otherwise fixes; 1 for anything else).
int report_current_exception(std::ostream& err);

}  // namespace numfactors
