#include "soho/model/python_reference.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <ATen/core/Dict.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "soho/common/file_util.h"
#include "soho/common/logging.h"
#include "soho/model/torch_file.h"

namespace soho::model::testing {

std::string TempPath(const std::string& suffix) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string pattern = std::string(dir ? dir : "/tmp") + "/soho_XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  const int fd = mkstemp(buffer.data());
  CHECK_GE(fd, 0) << "mkstemp failed for " << pattern;
  close(fd);
  unlink(buffer.data());
  return std::string(buffer.data()) + suffix;
}

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
  std::string command = "/usr/bin/python3 " + script_path + " " + inputs_path + " " +
                              outputs_path;
  for (const std::string& arg : args) command += " '" + arg + "'";
  command += " > " + log_path + " 2>&1";
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    const absl::StatusOr<std::string> log = ReadFileToString(log_path);
    LOG(FATAL) << "python reference failed (" << rc << "):\n" << (log.ok() ? *log : log.status().ToString());
  }
  return LoadTensorMap(outputs_path);
}

}  // namespace soho::model::testing
