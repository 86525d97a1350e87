#include "soho/train/distributed_env.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "soho/common/status_macros.h"

namespace soho::train {
namespace {

// An integer variable in [min, max]; `fallback` when unset.
absl::StatusOr<int> IntVariable(const EnvLookup& lookup, const std::string& name, int min, int max,
                                std::optional<int> fallback) {
  const std::optional<std::string> text = lookup(name);
  if (!text) {
    if (fallback) return *fallback;
    return absl::InvalidArgumentError(absl::StrCat(name, " is not set (a distributed run needs RANK, WORLD_SIZE, "
                                                   "MASTER_ADDR and MASTER_PORT; torchrun sets them all)"));
  }
  int value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "='", *text, "': must be an integer in [", min, ", ", max, "]"));
  }
  return value;
}

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<std::optional<DistributedEnv>> ReadDistributedEnv(const EnvLookup& lookup) {
  if (!lookup("RANK") && !lookup("WORLD_SIZE")) return std::optional<DistributedEnv>();
  DistributedEnv env;
  SOHO_ASSIGN_OR_RETURN(env.world_size, IntVariable(lookup, "WORLD_SIZE", 1, 1 << 20, std::nullopt));
  SOHO_ASSIGN_OR_RETURN(env.rank, IntVariable(lookup, "RANK", 0, env.world_size - 1, std::nullopt));
  // A launcher that only knows global ranks (one process per node) omits the local ones.
  SOHO_ASSIGN_OR_RETURN(env.local_world_size, IntVariable(lookup, "LOCAL_WORLD_SIZE", 1, env.world_size, 1));
  SOHO_ASSIGN_OR_RETURN(env.local_rank, IntVariable(lookup, "LOCAL_RANK", 0, env.local_world_size - 1, 0));
  SOHO_ASSIGN_OR_RETURN(env.master_port, IntVariable(lookup, "MASTER_PORT", 1, 65535, std::nullopt));
  SOHO_ASSIGN_OR_RETURN(env.restart_count, IntVariable(lookup, "TORCHELASTIC_RESTART_COUNT", 0, 1 << 20, 0));
  const std::optional<std::string> addr = lookup("MASTER_ADDR");
  if (!addr || addr->empty()) {
    return absl::InvalidArgumentError("MASTER_ADDR is not set (the host of rank 0, e.g. 127.0.0.1 on one machine)");
  }
  env.master_addr = *addr;
  return std::optional<DistributedEnv>(env);
}

}  // namespace soho::train
