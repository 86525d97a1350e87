#include "soho/train/process_group.h"

#include <exception>
#include <map>

#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libtorch/torch_build_info.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"

#if SOHO_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace soho::train {
namespace {

// Heartbeats are cheap (one store increment); a peer is declared lost after missing a few.
constexpr std::chrono::milliseconds kHeartbeatPeriod(500);
constexpr int kMissedBeatsForLoss = 4;

std::string HeartbeatKey(int rank) { return absl::StrCat("soho/heartbeat/", rank); }

// `rendezvous`: this connection counts towards the world (one per rank), and rank 0's waits
// until all have arrived; the extra connections of a rank do not count.
c10::intrusive_ptr<c10d::Store> StoreClient(const DistributedEnv& env, std::chrono::seconds timeout,
                                            bool is_server, bool rendezvous, const std::string& prefix) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = is_server;
  options.numWorkers = env.world_size;
  options.waitWorkers = rendezvous;
  options.timeout = timeout;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  return c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
}

bool IsLoopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

c10::intrusive_ptr<c10d::ProcessGroup> GlooGroup(const c10::intrusive_ptr<c10d::Store>& store,
                                                 const DistributedEnv& env, std::chrono::seconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  // Which network interface Gloo talks on: GLOO_SOCKET_IFNAME as in PyTorch; on one machine
  // the loopback address; otherwise the interface this host's name resolves to.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0') {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  } else if (IsLoopback(env.master_addr)) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
}

absl::StatusOr<c10::intrusive_ptr<c10d::ProcessGroup>> DeviceGroup(const c10::intrusive_ptr<c10d::Store>& store,
                                                                   const DistributedEnv& env, c10::Device device,
                                                                   std::chrono::seconds timeout) {
  if (!device.is_cuda()) return GlooGroup(store, env, timeout);
#if SOHO_WITH_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::intrusive_ptr<c10d::ProcessGroup>(
      c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, options));
#else
  return absl::FailedPreconditionError(
      "runtime.device is CUDA but this LibTorch has no NCCL: distributed GPU training needs the CUDA build "
      "(--config=cuda with a CUDA LibTorch)");
#endif
}

}  // namespace

DistributedContext::DistributedContext(const DistributedEnv& env, std::chrono::seconds timeout)
    : env_(env), timeout_(timeout) {}

absl::StatusOr<std::shared_ptr<DistributedContext>> DistributedContext::Connect(const DistributedEnv& env,
                                                                                c10::Device device,
                                                                                std::chrono::seconds timeout) {
  std::shared_ptr<DistributedContext> context(new DistributedContext(env, timeout));
  const char* agent_store = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool agent_hosts_store = agent_store != nullptr && std::string(agent_store) == "True";
  const std::string prefix = absl::StrCat("soho/attempt_", env.restart_count, "/");
  const std::string where = absl::StrCat(env.master_addr, ":", env.master_port);
  try {
    context->store_ = StoreClient(env, timeout, /*is_server=*/env.rank == 0 && !agent_hosts_store,
                                  /*rendezvous=*/true, prefix);
    context->heartbeat_store_ = StoreClient(env, timeout, false, false, prefix);
    context->diagnosis_store_ = StoreClient(env, timeout, false, false, prefix);
    SOHO_ASSIGN_OR_RETURN(context->gradient_group_,
                          DeviceGroup(c10::make_intrusive<c10d::PrefixStore>("gradients/", context->store_), env,
                                      device, timeout));
    SOHO_ASSIGN_OR_RETURN(context->model_group_,
                          DeviceGroup(c10::make_intrusive<c10d::PrefixStore>("model/", context->store_), env,
                                      device, timeout));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("rank ", env.rank, " of ", env.world_size,
                                               ": rendezvous at MASTER_ADDR:MASTER_PORT=", where,
                                               " failed within runtime.dist_timeout_s=", timeout.count(),
                                               " s (did every rank start, with the same MASTER_ADDR/MASTER_PORT?): ",
                                               e.what()));
  }
  context->heartbeat_ = std::thread([raw = context.get()] { raw->Beat(); });
  LOG(INFO) << "rank " << env.rank << " of " << env.world_size << " connected through " << where << " ("
            << (device.is_cuda() ? "NCCL" : "Gloo") << ", timeout " << timeout.count() << " s)";
  return context;
}

DistributedContext::~DistributedContext() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void DistributedContext::Beat() {
  const std::string key = HeartbeatKey(env_.rank);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    try {
      heartbeat_store_->add(key, 1);
    } catch (const std::exception&) {
      return;  // the store is gone (rank 0 ended or died): the main thread will find out
    }
    lock.lock();
    stop_cv_.wait_for(lock, kHeartbeatPeriod, [this] { return stop_; });
  }
}

std::string DistributedContext::Explain(const std::string& what, const std::string& error) const {
  const std::string head = absl::StrCat("rank ", env_.rank, " of ", env_.world_size, ": ", what, " failed");
  // Only the first line of c10d's message: the rest is a C++ stack.
  const std::string cause = error.substr(0, error.find('\n'));
  std::map<int, int64_t> before;
  try {
    for (int r = 0; r < env_.world_size; ++r) before[r] = diagnosis_store_->add(HeartbeatKey(r), 0);
    std::this_thread::sleep_for(kHeartbeatPeriod * kMissedBeatsForLoss);
    std::vector<int> lost;
    for (int r = 0; r < env_.world_size; ++r) {
      if (r != env_.rank && diagnosis_store_->add(HeartbeatKey(r), 0) == before[r]) lost.push_back(r);
    }
    if (!lost.empty()) {
      return absl::StrCat(head, ": lost rank ", absl::StrJoin(lost, ", rank "),
                          " (no heartbeat: the process died or froze) [", cause, "]");
    }
    return absl::StrCat(head, ": every rank is still alive, so one is stuck or took another path (timeout ",
                        timeout_.count(), " s, runtime.dist_timeout_s) [", cause, "]");
  } catch (const std::exception&) {
    return absl::StrCat(head, ": lost rank 0 (its store at ", env_.master_addr, ":", env_.master_port,
                        " no longer answers: the process died or its host is unreachable) [", cause, "]");
  }
}

void DistributedContext::WaitOrThrow(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) const {
  try {
    work->wait(timeout_);
  } catch (const std::exception& e) {
    throw std::runtime_error(Explain(what, e.what()));
  }
}

absl::Status DistributedContext::Barrier() {
  try {
    WaitOrThrow(gradient_group_->barrier(), "barrier");
  } catch (const std::exception& e) {
    return absl::UnavailableError(e.what());
  }
  return absl::OkStatus();
}

void ProcessGroupCollective::AllReduceSum(std::vector<at::Tensor>& tensors) {
  // One reduction per tensor: Gloo's allreduce wants a single tensor per call on the CPU.
  for (at::Tensor& t : tensors) {
    std::vector<at::Tensor> one{t};
    context_->WaitOrThrow(context_->model_group().allreduce(one), "all-reduce inside the model");
  }
}

}  // namespace soho::train
