#pragma once
// A child process spoken to one line at a time: each request is a line on its stdin, each
// answer the next line of its stdout. Its stderr stays the parent's, so whatever it reports
// there (a Python traceback) reaches the user. Lets a benchmark interleave its own runs with
// another program's, one run each in turn, while both keep their state in memory.
#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace soho::bench {

class LineProcess {
 public:
  // Starts argv[0] (a path, not searched in $PATH) with arguments argv[1..] and this
  // process's environment. Also ignores SIGPIPE process-wide, so that writing to a child
  // that died is an error to report rather than the end of this process.
  static absl::StatusOr<std::unique_ptr<LineProcess>> Start(const std::vector<std::string>& argv);

  // Closes the child's stdin (its cue to exit) and waits for it.
  ~LineProcess();
  LineProcess(const LineProcess&) = delete;
  LineProcess& operator=(const LineProcess&) = delete;

  // The child's next line of output, without the newline; an error naming the program and
  // how it ended when it closed its stdout first.
  absl::StatusOr<std::string> ReadLine();
  // Sends `line` (a newline is appended) and returns the line that answers it.
  absl::StatusOr<std::string> Request(const std::string& line);

 private:
  LineProcess(std::string program, pid_t pid, std::FILE* to_child, std::FILE* from_child)
      : program_(std::move(program)), pid_(pid), to_child_(to_child), from_child_(from_child) {}
  // Waits for the child (once) and describes how it ended.
  std::string Reap();

  std::string program_;
  pid_t pid_;
  std::FILE* to_child_;
  std::FILE* from_child_;
  bool reaped_ = false;
  int wait_status_ = 0;
};

}  // namespace soho::bench
