#pragma once
// The project's one logging header: LOG / CHECK / VLOG for every source file.
//
// Why not <glog/logging.h> directly: Debian's LibTorch builds c10 with glog, but official
// and pip LibTorch builds define their own LOG/CHECK macros in c10. Including both makes the
// macros collide. c10/util/Logging.h picks whichever the linked LibTorch uses, so the same
// sources build against either.
#include <c10/util/Logging.h>  // IWYU pragma: export

namespace soho {

// Sets up logging for a command-line tool: messages to stderr, failure signal handler
// where glog is available. Call once from main() after flag parsing.
void InitLogging(const char* argv0);

}  // namespace soho
