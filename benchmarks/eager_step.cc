#include "benchmarks/eager_step.h"

#include <algorithm>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "soho/common/status_macros.h"
#include "soho/train/grad_clip.h"
#include "soho/train/precision.h"

namespace soho::bench {

using Json = nlohmann::json;

namespace {

absl::Status MalformedAnswer(const std::string& line, const std::string& what) {
  return absl::InternalError(absl::StrCat("the eager script's answer lacks ", what, ": ", line));
}

}  // namespace

const std::vector<std::string>& StepStageNames() {
  static const std::vector<std::string> names = {"forward", "backward", "clip", "optimizer"};
  return names;
}

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (const size_t colon = line.find(':'); line.rfind("model name", 0) == 0 && colon != std::string::npos) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "unknown";
}

absl::StatusOr<Json> EagerSpec(const proto::SohoConfig& config, const PretrainShape& shape,
                               const train::AdamwSgd& optimizer, int threads) {
  const proto::ModelConfig& model = config.model();
  const int depth = model.backbone().depth();
  if (depth != 18 && depth != 34) {
    return absl::UnimplementedError(absl::StrCat(
        "model.backbone.depth ", depth, ": the eager transcription has BasicBlock ResNets only (18, 34)"));
  }
  if (model.backbone().out_stages_size() > 0 &&
      *std::max_element(model.backbone().out_stages().begin(), model.backbone().out_stages().end()) != 4) {
    return absl::UnimplementedError("model.backbone.out_stages: the eager transcription feeds C5 to the neck");
  }
  if (model.neck().decay_ramp()) {
    return absl::UnimplementedError("model.neck.decay_ramp: the eager transcription keeps the decay constant");
  }
  if (model.transformer().activation_checkpointing()) {
    return absl::UnimplementedError("model.transformer.activation_checkpointing: not in the eager transcription");
  }
  Json groups = Json::array();
  for (const train::AdamwSgd::Group& g : optimizer.groups()) {
    groups.push_back({{"kind", g.kind == train::AdamwSgd::Kind::kSgd ? "sgd" : "adamw"},
                      {"name_regex", g.name_regex},
                      {"lr_mult", g.lr_mult},
                      {"weight_decay", g.weight_decay},
                      {"momentum", g.momentum},
                      {"beta1", g.beta1},
                      {"beta2", g.beta2},
                      {"eps", g.eps}});
  }
  const proto::TransformerConfig& t = model.transformer();
  return Json{
      {"threads", threads},
      {"seed", 0},
      {"images", shape.images},
      {"height", shape.height},
      {"width", shape.width},
      {"captions", shape.captions},
      {"length", shape.length},
      {"backbone",
       {{"depth", depth},
        {"frozen_stages", model.backbone().frozen_stages()},
        {"norm_eval", model.backbone().norm_eval()},
        {"zero_init_residual", model.backbone().zero_init_residual()},
        {"base_channels", model.backbone().base_channels()}}},
      {"neck",
       {{"out_channels", model.neck().out_channels()},
        {"gate", model.neck().kind() == proto::NeckConfig::PRETRAIN_GATE},
        {"dict_size", model.neck().dict_size()},
        {"decay", model.neck().decay()},
        {"dict_eps", model.neck().dict_eps()},
        {"mask_prob", model.neck().mask_prob()},
        {"layer_norm_eps", model.neck().layer_norm_eps()}}},
      {"transformer",
       {{"num_layers", t.num_layers()},
        {"hidden_size", t.hidden_size()},
        {"num_heads", t.num_heads()},
        {"intermediate_size", t.intermediate_size()},
        {"vocab_size", t.vocab_size()},
        {"max_position_embeddings", t.max_position_embeddings()},
        {"type_vocab_size", t.type_vocab_size()},
        {"hidden_dropout", t.hidden_dropout()},
        {"attention_dropout", t.attention_dropout()},
        {"layer_norm_eps", t.layer_norm_eps()}}},
      {"head",
       {{"mlm_weight", model.head().mlm_weight()},
        {"mvm_weight", model.head().mvm_weight()},
        {"itm_weight", model.head().itm_weight()}}},
      {"optimizer",
       {{"lr", config.optimizer().lr()},
        {"grad_clip_norm", config.optimizer().grad_clip_norm()},
        {"groups", groups}}},
  };
}

absl::StatusOr<Json> ParseEagerLine(const std::string& line) {
  Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InternalError(absl::StrCat("the eager script answered a line that is not a JSON object: ", line));
  }
  return json;
}

absl::StatusOr<std::string> CheckEagerReady(const std::string& line, const train::AdamwSgd& optimizer) {
  SOHO_ASSIGN_OR_RETURN(const Json ready, ParseEagerLine(line));
  try {
    const Json& groups = ready.at("groups");
    const auto& ours = optimizer.groups();
    if (groups.size() != ours.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the eager model has ", groups.size(), " optimizer groups, ours ", ours.size()));
    }
    for (size_t i = 0; i < ours.size(); ++i) {
      int64_t elements = 0;
      for (const at::Tensor& p : ours[i].params) elements += p.numel();
      const std::string kind = ours[i].kind == train::AdamwSgd::Kind::kSgd ? "sgd" : "adamw";
      const Json& eager = groups.at(i);
      if (eager.at("kind") != kind || eager.at("tensors") != ours[i].params.size() ||
          eager.at("elements") != elements) {
        return absl::FailedPreconditionError(
            absl::StrCat("optimizer group ", i, " differs: ours ", kind, " with ", ours[i].params.size(),
                         " tensors, ", elements, " elements; eager ", eager.dump()));
      }
    }
    const Json& env = ready.at("environment");
    return absl::StrCat("PyTorch ", env.at("torch").get<std::string>(), ", Python ",
                        env.at("python").get<std::string>(), ", threads: ", env.at("threads").get<int>(),
                        ", BLAS: ", env.at("blas").get<std::string>());
  } catch (const Json::exception& e) {
    return MalformedAnswer(line, e.what());
  }
}

absl::StatusOr<StepReport> ParseEagerStep(const std::string& line) {
  SOHO_ASSIGN_OR_RETURN(const Json answer, ParseEagerLine(line));
  StepReport step;
  try {
    step.seconds = answer.at("seconds").get<double>();
    step.loss = answer.at("loss").get<double>();
    step.stages = answer.at("stages").get<std::map<std::string, double>>();
  } catch (const Json::exception& e) {
    return MalformedAnswer(line, e.what());
  }
  for (const std::string& name : StepStageNames()) {
    if (!step.stages.count(name)) return MalformedAnswer(line, "stage " + name);
  }
  return step;
}

StepReport OursStep(PretrainWorkload& work, train::AdamwSgd& optimizer, const proto::OptimizerConfig& config,
                    proto::RuntimeConfig::Precision precision, StageClock& clock) {
  clock.Start();
  optimizer.ZeroGrad();
  model::NamedTensors losses;
  {
    const train::AutocastScope autocast(precision, c10::Device(c10::kCPU));
    losses = work.model->Losses(work.images, work.text, work.targets);
  }
  clock.Mark("forward");
  losses.at("loss").backward();
  clock.Mark("backward");
  train::ClipGradNorm(optimizer.Gradients(), config.grad_clip_norm());
  clock.Mark("clip");
  optimizer.Step(config.lr());
  clock.Mark("optimizer");
  StepReport step;
  step.seconds = clock.total_seconds();
  for (const auto& [name, seconds] : clock.stages()) step.stages[name] = seconds;
  step.loss = losses.at("loss").item<double>();
  return step;
}

}  // namespace soho::bench
