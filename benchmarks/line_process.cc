#include "benchmarks/line_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace soho::bench {
namespace {

absl::Status ErrnoError(const std::string& what, int error) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(error)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LineProcess>> LineProcess::Start(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("LineProcess::Start: no program given");
  if (::access(argv[0].c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot run ", argv[0], ": ", std::strerror(errno)));
  }
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(to_child[0]);
    ::close(to_child[1]);
    return ErrnoError("pipe", error);
  }
  // The child's ends become its stdin and stdout; dup2 clears close-on-exec on the copies,
  // so every other pipe end closes in the child at exec.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (spawned != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    return ErrnoError(absl::StrCat("cannot start ", argv[0]), spawned);
  }
  ::signal(SIGPIPE, SIG_IGN);
  return std::unique_ptr<LineProcess>(
      new LineProcess(argv[0], pid, ::fdopen(to_child[1], "w"), ::fdopen(from_child[0], "r")));
}

LineProcess::~LineProcess() {
  std::fclose(to_child_);
  std::fclose(from_child_);
  Reap();
}

std::string LineProcess::Reap() {
  if (!reaped_) {
    while (::waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (WIFEXITED(wait_status_)) return absl::StrCat("exited with status ", WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) return absl::StrCat("was killed by signal ", WTERMSIG(wait_status_));
  return "ended";
}

absl::StatusOr<std::string> LineProcess::ReadLine() {
  std::string line;
  int c;
  while ((c = std::fgetc(from_child_)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  if (c == EOF) {
    return absl::InternalError(absl::StrCat(program_, " closed its output before answering and ", Reap(),
                                            " (its stderr, above, says why)"));
  }
  return line;
}

absl::StatusOr<std::string> LineProcess::Request(const std::string& line) {
  if (std::fputs((line + "\n").c_str(), to_child_) == EOF || std::fflush(to_child_) != 0) {
    return absl::InternalError(absl::StrCat("cannot write to ", program_, ": it ", Reap()));
  }
  return ReadLine();
}

}  // namespace soho::bench
