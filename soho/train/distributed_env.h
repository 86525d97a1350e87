#pragma once
// Where this process stands in a distributed run, read from the variables that torchrun
// (torch.distributed.run), tools/dist_train.sh and Slurm-style wrappers export:
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT and
// TORCHELASTIC_RESTART_COUNT. Without RANK and WORLD_SIZE the run is an ordinary single
// process (nullopt), so plain `pretrain --config=...` is unchanged.
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace soho::train {

struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr;
  int master_port = 0;
  // How many times torchrun restarted the group (0 for the first attempt).
  int restart_count = 0;
};

// Looks a variable up; nullopt when unset. The default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> ProcessEnv(const std::string& name);

// nullopt without RANK and WORLD_SIZE; an error naming the variable when one is malformed,
// out of range, or missing while the others say the run is distributed.
absl::StatusOr<std::optional<DistributedEnv>> ReadDistributedEnv(const EnvLookup& lookup = ProcessEnv);

}  // namespace soho::train
