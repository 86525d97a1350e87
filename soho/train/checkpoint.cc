#include "soho/train/checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"
#include "soho/model/torch_file.h"

namespace soho::train {
namespace {

namespace fs = std::filesystem;
using c10::impl::GenericDict;

GenericDict StringDict() { return GenericDict(c10::StringType::get(), c10::AnyType::get()); }

// Typed access to a dict entry; errors name the checkpoint and the key.
class Reader {
 public:
  Reader(const std::string& path, const c10::IValue& value, std::string where)
      : path_(path), where_(std::move(where)), ok_(value.isGenericDict()) {
    if (ok_) dict_ = value.toGenericDict();
  }
  absl::Status Check() const {
    return ok_ ? absl::OkStatus() : Error(absl::StrCat(where_, " is not a dict"));
  }
  absl::StatusOr<c10::IValue> Get(const std::string& key) const {
    if (!ok_ || !dict_.contains(key)) return Error(absl::StrCat("no '", where_, key, "' entry"));
    return dict_.at(key);
  }
  absl::StatusOr<int64_t> Int(const std::string& key) const {
    SOHO_ASSIGN_OR_RETURN(c10::IValue v, Get(key));
    if (!v.isInt()) return Error(absl::StrCat("'", where_, key, "' is not an integer"));
    return v.toInt();
  }
  absl::Status Error(const std::string& what) const {
    return absl::DataLossError(absl::StrCat("checkpoint ", path_, ": ", what));
  }

 private:
  const std::string& path_;
  std::string where_;
  bool ok_;
  GenericDict dict_ = StringDict();
};

bool IsPeriodicName(const std::string& name) {
  return absl::string_view(name).substr(0, 6) == "epoch_" || absl::string_view(name).substr(0, 5) == "iter_";
}

}  // namespace

absl::Status SaveCheckpoint(const Checkpoint& checkpoint, const std::string& path) {
  GenericDict meta = StringDict();
  meta.insert("epoch", checkpoint.position.epoch);
  meta.insert("epoch_batch", checkpoint.position.epoch_batch);
  meta.insert("iter", checkpoint.position.iteration);
  meta.insert("loss_scale", checkpoint.loss_scale);
  meta.insert("nonfinite_streak", checkpoint.nonfinite_streak);
  meta.insert("config", checkpoint.config_text);
  meta.insert("soho_version", std::string("soho-cpp"));
  meta.insert("time", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count()));
  GenericDict state_dict = StringDict();
  for (const auto& [key, tensor] : checkpoint.model) state_dict.insert(key, tensor.detach().cpu());
  GenericDict root = StringDict();
  root.insert("meta", meta);
  root.insert("state_dict", state_dict);
  root.insert("optimizer", checkpoint.optimizer);
  root.insert("rng", checkpoint.rng);
  const std::vector<char> bytes = torch::jit::pickle_save(root);
  return WriteFileAtomically(path, absl::string_view(bytes.data(), bytes.size()));
}

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  absl::StatusOr<c10::IValue> root_value = model::ReadTorchFile(path);
  if (!root_value.ok()) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path, " cannot be read (truncated or corrupt?): ",
                                            root_value.status().message()));
  }
  const Reader root(path, *root_value, "");
  SOHO_RETURN_IF_ERROR(root.Check());
  SOHO_ASSIGN_OR_RETURN(c10::IValue meta_value, root.Get("meta"));
  const Reader meta(path, meta_value, "meta.");
  Checkpoint checkpoint;
  SOHO_ASSIGN_OR_RETURN(checkpoint.position.epoch, meta.Int("epoch"));
  SOHO_ASSIGN_OR_RETURN(checkpoint.position.epoch_batch, meta.Int("epoch_batch"));
  SOHO_ASSIGN_OR_RETURN(checkpoint.position.iteration, meta.Int("iter"));
  SOHO_ASSIGN_OR_RETURN(checkpoint.nonfinite_streak, meta.Int("nonfinite_streak"));
  SOHO_ASSIGN_OR_RETURN(c10::IValue scale, meta.Get("loss_scale"));
  SOHO_ASSIGN_OR_RETURN(c10::IValue config, meta.Get("config"));
  if (!scale.isDouble() || !config.isString()) return meta.Error("meta.loss_scale / meta.config malformed");
  checkpoint.loss_scale = scale.toDouble();
  checkpoint.config_text = config.toStringRef();

  SOHO_ASSIGN_OR_RETURN(c10::IValue state_value, root.Get("state_dict"));
  if (!state_value.isGenericDict()) return root.Error("'state_dict' is not a dict");
  for (const auto& entry : state_value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) return root.Error("'state_dict' holds a non-tensor");
    checkpoint.model.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  SOHO_ASSIGN_OR_RETURN(checkpoint.optimizer, root.Get("optimizer"));
  SOHO_ASSIGN_OR_RETURN(checkpoint.rng, root.Get("rng"));
  return checkpoint;
}

at::Tensor CpuRngState() {
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(cpu.mutex());
  return cpu.get_state();
}

c10::IValue CaptureRngState(const std::vector<at::Tensor>& rank_cpu_states) {
  GenericDict state = StringDict();
  state.insert("torch_cpu", CpuRngState());
  if (!rank_cpu_states.empty()) {
    c10::impl::GenericList ranks(c10::AnyType::get());
    for (const at::Tensor& t : rank_cpu_states) ranks.push_back(t);
    state.insert("torch_cpu_ranks", ranks);
  }
  c10::impl::GenericList cuda(c10::AnyType::get());
  if (at::hasCUDA()) {
    for (int64_t i = 0; i < at::detail::getCUDAHooks().getNumGPUs(); ++i) {
      at::Generator gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, i));
      std::lock_guard<std::mutex> lock(gen.mutex());
      cuda.push_back(gen.get_state());
    }
  }
  state.insert("torch_cuda", cuda);
  return state;
}

absl::Status RestoreRngState(const c10::IValue& value, int rank) {
  if (!value.isGenericDict() || !value.toGenericDict().contains("torch_cpu")) {
    return absl::DataLossError("random generator state is malformed");
  }
  const GenericDict state = value.toGenericDict();
  at::Tensor cpu_state = state.at("torch_cpu").toTensor();
  if (state.contains("torch_cpu_ranks")) {
    const c10::List<c10::IValue> ranks = state.at("torch_cpu_ranks").toList();
    // A group of another size (or a single process) keeps rank 0's stream.
    if (rank < static_cast<int>(ranks.size())) cpu_state = ranks.get(rank).toTensor();
  }
  {
    at::Generator cpu = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(cpu_state);
  }
  if (state.contains("torch_cuda") && at::hasCUDA()) {
    const c10::List<c10::IValue> cuda = state.at("torch_cuda").toList();
    const int64_t devices = at::detail::getCUDAHooks().getNumGPUs();
    for (int64_t i = 0; i < std::min<int64_t>(devices, cuda.size()); ++i) {
      at::Generator gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, i));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(cuda.get(i).toTensor());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CheckpointDir::Save(const Checkpoint& checkpoint, const std::string& name) {
  const std::string path = (fs::path(work_dir_) / name).string();
  SOHO_RETURN_IF_ERROR(SaveCheckpoint(checkpoint, path));
  // latest.pt -> name, replaced atomically (a relative link, so the folder can move).
  const std::string latest = (fs::path(work_dir_) / "latest.pt").string();
  const std::string tmp_link = absl::StrCat(latest, ".tmp.", ::getpid());
  std::error_code ec;
  fs::remove(tmp_link, ec);
  fs::create_symlink(name, tmp_link, ec);
  if (!ec) fs::rename(tmp_link, latest, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot point ", latest, " at ", name, ": ", ec.message()));

  if (keep_ > 0 && IsPeriodicName(name)) {
    // Oldest first by write time, so checkpoints of an earlier (resumed) run count too.
    std::vector<std::pair<fs::file_time_type, fs::path>> periodic;
    for (const auto& entry : fs::directory_iterator(work_dir_, ec)) {
      const std::string file = entry.path().filename().string();
      if (IsPeriodicName(file) && entry.path().extension() == ".pt") {
        periodic.emplace_back(entry.last_write_time(ec), entry.path());
      }
    }
    std::sort(periodic.begin(), periodic.end());
    for (size_t i = 0; i + keep_ < periodic.size(); ++i) {
      if (periodic[i].second.filename() != name) fs::remove(periodic[i].second, ec);
    }
  }
  return path;
}

std::string CheckpointDir::Latest() const {
  const fs::path latest = fs::path(work_dir_) / "latest.pt";
  std::error_code ec;
  return fs::exists(latest, ec) ? latest.string() : "";
}

absl::StatusOr<std::string> ResolveResumePath(const std::string& spec, const std::string& work_dir) {
  if (spec.empty()) return std::string();
  if (spec == "auto") return CheckpointDir(work_dir, 0).Latest();
  if (!PathExists(spec)) return absl::NotFoundError(absl::StrCat("resume checkpoint ", spec, " does not exist"));
  return spec;
}

}  // namespace soho::train
