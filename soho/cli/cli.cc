#include "soho/cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "soho/common/file_util.h"
#include "soho/common/logging.h"
#include "soho/common/process_settings.h"
#include "soho/proto/config_loader.h"

DEFINE_string(config, "", "Run config: a text-format soho.proto.SohoConfig (.pbtxt), e.g. configs/tiny/pretrain.pbtxt.");
DEFINE_string(set, "",
              "Comma-separated config overrides 'field.path=value', applied after --config and validated "
              "the same way, e.g. --set=runtime.seed=3,data.batch_size=4,schedule.step_epochs=[10,15].");
DEFINE_bool(dry_run, false, "Print the fully resolved config (defaults and overrides applied) and exit.");

namespace soho::cli {
namespace {

std::string& ToolName() {
  static std::string name = "soho";
  return name;
}

// Flags worth showing in --help: the tool's own and this library's, not glog's internals.
bool IsOwnFlag(const gflags::CommandLineFlagInfo& flag) {
  return absl::StrContains(flag.filename, "tools/") || absl::StrContains(flag.filename, "benchmarks/");
}

void PrintHelpAndExit(const std::string& usage) {
  std::cout << usage << "\n\nFlags:\n";
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  for (const auto& flag : flags) {
    if (!IsOwnFlag(flag)) continue;
    std::cout << "  --" << flag.name << " (" << flag.description << ")\n"
              << "      type: " << flag.type << "  default: "
              << (flag.type == "string" ? "\"" + flag.default_value + "\"" : flag.default_value) << "\n";
  }
  std::cout << "\nLogging flags (glog): --v=N, --minloglevel=N, --log_dir=DIR. "
               "Full flag list: --helpfull.\n";
  std::exit(0);
}

}  // namespace

void Init(int* argc, char*** argv, const std::string& usage) {
  ToolName() = (*argv)[0];
  if (const size_t slash = ToolName().rfind('/'); slash != std::string::npos) {
    ToolName() = ToolName().substr(slash + 1);
  }
  gflags::SetUsageMessage(usage);
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = (*argv)[i];
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "--helpshort") PrintHelpAndExit(usage);
    if (arg == "--") break;
  }
  gflags::ParseCommandLineFlags(argc, argv, /*remove_flags=*/true);
  InitLogging((*argv)[0]);
  // Before any model or batch is allocated, so every tool's forwards reuse heap pages.
  ConfigureProcessAllocator();
  // `bazel run` starts binaries inside the runfiles tree; relative paths are the user's.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir != nullptr && *dir != '\0') {
    if (::chdir(dir) != 0) LOG(WARNING) << "cannot chdir to BUILD_WORKING_DIRECTORY=" << dir;
  }
}

absl::StatusOr<proto::RuntimeConfig::Precision> ParsePrecision(const std::string& flag_value) {
  if (flag_value == "fp32") return proto::RuntimeConfig::FP32;
  if (flag_value == "bf16") return proto::RuntimeConfig::BF16;
  return absl::InvalidArgumentError(absl::StrCat("--precision must be fp32 or bf16, got '", flag_value, "'"));
}

absl::StatusOr<proto::SohoConfig> LoadConfigFromFlags(const std::vector<std::string>& tool_overrides,
                                                      bool check_files) {
  if (FLAGS_config.empty()) {
    return absl::InvalidArgumentError("--config is required (e.g. --config=configs/tiny/pretrain.pbtxt)");
  }
  std::vector<std::string> overrides = proto::SplitOverrides(FLAGS_set);
  overrides.insert(overrides.end(), tool_overrides.begin(), tool_overrides.end());
  auto config = proto::LoadConfig(FLAGS_config, overrides, proto::ValidateOptions{.check_files = check_files && !FLAGS_dry_run});
  if (!config.ok() || !FLAGS_dry_run || !check_files) return config;
  // A dry run still tells the user which files a real run would miss.
  if (absl::Status files = proto::ValidateConfig(*config); !files.ok()) {
    std::cerr << ToolName() << ": warning: a real run would fail:\n" << files.message() << "\n";
  }
  return config;
}

bool DryRun() { return FLAGS_dry_run; }

int PrintDryRun(const proto::SohoConfig& config) {
  std::cout << "# Resolved config (" << FLAGS_config << (FLAGS_set.empty() ? "" : " with --set=" + FLAGS_set)
            << ")\n"
            << proto::ConfigToText(config);
  return 0;
}

int Report(const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << ToolName() << ": error: " << status.message() << std::endl;
  return 1;
}

int RunMain(absl::FunctionRef<absl::StatusOr<int>()> body) {
  absl::StatusOr<int> code;
  try {
    code = body();
  } catch (const std::bad_alloc&) {
    code = absl::ResourceExhaustedError("out of memory (an input or a flag asks for more than this machine has)");
  } catch (const std::exception& e) {
    code = absl::InternalError(e.what());
  }
  return code.ok() ? *code : Report(code.status());
}

absl::Status CheckFlagRange(const char* flag, int64_t value, int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be in [", lo, ", ", hi, "] (got ", value, ")"));
}

absl::Status CheckFlagFile(const char* flag, const std::string& path) {
  if (path.empty() || PathExists(path)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("--", flag, ": file not found: ", path));
}

}  // namespace soho::cli
