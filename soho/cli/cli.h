#pragma once
// Shared command-line plumbing for the soho CLIs: flag parsing with a focused --help,
// logging setup, config loading with --set overrides, --dry_run, and error reporting.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/proto/config.pb.h"

namespace soho::cli {

// Parses flags, sets up logging and the process's allocator (ConfigureProcessAllocator). `--help` prints `usage` and the flags defined by the
// tool itself and by this library (not every flag of every linked library), then exits.
// Under `bazel run`, changes to the folder the user ran Bazel from, so relative paths in
// flags and configs mean what the user expects.
void Init(int* argc, char*** argv, const std::string& usage);

// Loads --config with the --set overrides, then `tool_overrides` (what a tool's own flags
// set, e.g. "runtime.work_dir=..."), fills defaults and validates values.
// With --dry_run, missing files are listed as warnings instead of failing the load.
// check_files = false: a tool that opens only some of the config's files (eval reads one
// split and no training checkpoints) leaves the checks to the readers, whose errors name
// the file.
absl::StatusOr<proto::SohoConfig> LoadConfigFromFlags(const std::vector<std::string>& tool_overrides = {},
                                                      bool check_files = true);

// A tool's --precision flag: "fp32" or "bf16" (autocast to bfloat16 on CPU and CUDA).
absl::StatusOr<proto::RuntimeConfig::Precision> ParsePrecision(const std::string& flag_value);

// True when --dry_run was given.
bool DryRun();

// Prints the resolved config for --dry_run (stdout) and returns the exit code 0.
int PrintDryRun(const proto::SohoConfig& config);

// Prints `status` as "<tool>: error: ..." on stderr; returns the exit code (0 when OK).
int Report(const absl::Status& status);

// The exit code of a tool's work: `body`'s value, or 1 after Report()ing its error. An
// exception escaping `body` (a LibTorch check, OpenCV, std::bad_alloc) is reported the same
// way, so no input ends in an abort with a stack trace. Every tool's main() ends in this.
int RunMain(absl::FunctionRef<absl::StatusOr<int>()> body);

// "--<flag> must be in [lo, hi] (got value)": checks a numeric flag before any work starts.
absl::Status CheckFlagRange(const char* flag, int64_t value, int64_t lo, int64_t hi);

// "--<flag>: file not found: path" unless `path` is empty or exists. For files named on the
// command line, checked even with --dry_run: the user typed them for this run.
absl::Status CheckFlagFile(const char* flag, const std::string& path);

}  // namespace soho::cli
