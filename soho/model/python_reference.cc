#include "soho/model/python_reference.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <ATen/core/Dict.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "soho/common/file_util.h"
#include "soho/common/logging.h"
#include "soho/common/temp_path.h"
#include "soho/model/torch_file.h"

namespace soho::model::testing {

using soho::testing::TempPath;

namespace {

// Runs the program argv[0] with `argv`, its stdout and stderr into `log_path`, and returns its
// exit status (128 + signal when killed, -1 when it could not start). No shell: arguments
// reach the program as they are, whatever quotes or spaces they hold.
int RunProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec (LibTorch's threads exist).
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  if (pid < 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

void SaveTensorMap(const TensorMap& tensors, const std::string& path) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor);
  const std::vector<char> bytes = torch::jit::pickle_save(dict);
  const absl::Status written = WriteFileAtomically(path, absl::string_view(bytes.data(), bytes.size()));
  CHECK(written.ok()) << written;
}

TensorMap LoadTensorMap(const std::string& path) {
  // Our reader, not torch::pickle_load, which cannot read one-entry dicts from Python.
  absl::StatusOr<c10::IValue> root = ReadTorchFile(path);
  CHECK(root.ok()) << root.status();
  TensorMap tensors;
  for (const auto& entry : root->toGenericDict()) {
    tensors[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return tensors;
}

TensorMap RunPython(const std::string& snippet, const TensorMap& inputs,
                    const std::vector<std::string>& args) {
  const std::string script_path = TempPath(".py");
  const std::string inputs_path = TempPath(".pt");
  const std::string outputs_path = TempPath(".pt");
  const std::string log_path = TempPath(".log");
  const absl::Status script_written = WriteFileAtomically(
      script_path, "import math, sys\nimport torch\nimport torch.nn.functional as F\n"
                   "torch.set_num_threads(1)\n"
                   "inputs = torch.load(sys.argv[1])\noutputs = {}\nargs = sys.argv[3:]\n" +
                       snippet + "\ntorch.save(outputs, sys.argv[2])\n");
  CHECK(script_written.ok()) << script_written;
  SaveTensorMap(inputs, inputs_path);
  std::vector<std::string> argv = {"/usr/bin/python3", script_path, inputs_path, outputs_path};
  argv.insert(argv.end(), args.begin(), args.end());
  const int rc = RunProcess(argv, log_path);
  if (rc != 0) {
    const absl::StatusOr<std::string> log = ReadFileToString(log_path);
    LOG(FATAL) << "python reference failed (" << rc << "):\n" << (log.ok() ? *log : log.status().ToString());
  }
  return LoadTensorMap(outputs_path);
}

}  // namespace soho::model::testing
