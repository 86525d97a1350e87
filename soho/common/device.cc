#include "soho/common/device.h"

#include <ATen/Context.h>

#include <regex>

#include "absl/strings/str_cat.h"

namespace soho {

absl::StatusOr<c10::Device> ParseDevice(const std::string& name, const std::string& what) {
  // c10::Device also accepts other backends (tpu is not one of them, but xla, mps... are);
  // none of them has kernels in this project's builds.
  static const std::regex kDevice(R"(^(cpu|cuda(:[0-9]{1,3})?)$)");
  if (!std::regex_match(name, kDevice)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", name, "' is not a device (cpu, cuda or cuda:N)"));
  }
  const c10::Device device(name);
  if (device.is_cuda() && !at::hasCUDA()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " is '", name,
        "' but this build has no CUDA (LibTorch CPU build, or no GPU): build with --config=cuda or use 'cpu'"));
  }
  return device;
}

}  // namespace soho
