// soho eval: the official VQA metric, VQA predictions and submissions, pre-training task
// metrics and zero-shot retrieval, single answers, and a picture of the Visual Dictionary.
#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/Device.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gflags/gflags.h"
#include "nlohmann/json.hpp"
#include "soho/common/device.h"
#include "soho/common/process_settings.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/pretrain_dataset.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/data/vqa_dataset.h"
#include "soho/eval/checkpoint.h"
#include "soho/eval/dictionary_visualization.h"
#include "soho/eval/itm_retrieval.h"
#include "soho/eval/pretrain_metrics.h"
#include "soho/eval/vqa_accuracy.h"
#include "soho/eval/vqa_official_files.h"
#include "soho/eval/vqa_predictions.h"
#include "soho/eval/vqa_predictor.h"
#include "soho/model/soho_model.h"
#include "soho/train/precision.h"
#include "soho/cli/cli.h"

DEFINE_string(checkpoint, "",
              "Checkpoint to evaluate: ours, a torch.save state_dict, or an mmcv / official SOHO checkpoint "
              "({\"state_dict\": ...}). Every weight of the config's model must be in it.");
DEFINE_string(split, "val", "VQA: the data split of the config to run: val (scored) or test (predictions only).");
DEFINE_string(output, "",
              "Folder for the outputs; default <runtime.work_dir>/eval_<split> (VQA), <work_dir>/eval_pretrain "
              "(pre-training), or the folder of --results (file scoring).");
DEFINE_int32(top_k, 5, "Answers kept per question, with probabilities (vqa_results_topk.json, --image).");
DEFINE_string(precision, "fp32",
              "fp32 or bf16: the model's forward passes under autocast to bfloat16 (CPU and CUDA; the Visual "
              "Dictionary stays fp32). Independent of the config's runtime.precision, which is for training.");
DEFINE_string(questions, "", "Official VQA questions file ({\"questions\": [...]}).");
DEFINE_string(annotations, "", "Official VQA annotations file ({\"annotations\": [...]}), e.g. v2_mscoco_val2014_annotations.json.");
DEFINE_string(results, "", "Results to score, official submission layout ([{\"question_id\": int, \"answer\": str}]).");
DEFINE_string(vqa_eval_rules, "2017",
              "Which vqaEval.py to mirror: 2017 (the VQA v2.0 release) or 2021 (its revision a013f00, which also "
              "normalizes the ground truth and skips normalization when the ten answers agree).");
DEFINE_string(image, "", "An image file to ask --question about (VQA config).");
DEFINE_string(question, "", "The question about --image.");
DEFINE_int32(retrieval_images, 100,
             "Pre-training: zero-shot image-text retrieval over the first N val images and all their captions "
             "(N x captions ITM passes); 0 skips it.");
DEFINE_string(visualize_dictionary, "",
              "Pre-training config: write PNG sheets of the image patches mapped to the most used Visual Dictionary "
              "entries into this folder.");
DEFINE_int32(dictionary_images, 200, "--visualize_dictionary: val images to map.");
DEFINE_int32(dictionary_entries, 16, "--visualize_dictionary: sheets for this many most used entries.");
DEFINE_int32(dictionary_patches, 32, "--visualize_dictionary: patches per entry (at most one per image).");

namespace {

constexpr char kUsage[] =
    "Evaluates SOHO checkpoints and scores VQA results (bazel run //tools:eval -- ...).\n\n"
    "Score any system's VQA results with the official metric (no config, no model):\n"
    "  bazel run //tools:eval -- --questions=v2_OpenEnded_mscoco_val2014_questions.json \\\n"
    "      --annotations=v2_mscoco_val2014_annotations.json --results=val_results.json [--output=DIR]\n"
    "      -> table + DIR/vqa_accuracy.json {\"overall\", \"perAnswerType\", \"perQuestionType\"}\n\n"
    "Run a fine-tuned VQA checkpoint over a split:\n"
    "  bazel run //tools:eval -- --config=configs/tiny/vqa.pbtxt --checkpoint=work_dirs/tiny_vqa/latest.pt --split=val\n"
    "      -> DIR/vqa_results.json (official submission layout), DIR/vqa_results_topk.json, DIR/eval_report.json;\n"
    "         on val the soft score, and the official accuracy (DIR/vqa_accuracy.json) when the val sources name\n"
    "         official_questions/official_annotations (or --questions/--annotations are given)\n"
    "  bazel run //tools:eval -- --config=configs/vqa/soho_res18_vqa.pbtxt --checkpoint=vqa.pth --split=test\n"
    "      -> a test-dev submission in DIR/vqa_results.json\n\n"
    "Ask one question:\n"
    "  bazel run //tools:eval -- --config=configs/tiny/vqa.pbtxt --checkpoint=work_dirs/tiny_vqa/latest.pt \\\n"
    "      --image=photo.jpg --question=\"what color is the ball?\"      -> the top-5 answers with probabilities\n\n"
    "Pre-training checkpoint: MLM / MVM / ITM accuracy on val and zero-shot retrieval (Recall@1/5/10):\n"
    "  bazel run //tools:eval -- --config=configs/tiny/pretrain.pbtxt --checkpoint=work_dirs/tiny_pretrain/latest.pt \\\n"
    "      --retrieval_images=100                                     -> table + DIR/pretrain_eval.json\n\n"
    "A picture of the Visual Dictionary:\n"
    "  bazel run //tools:eval -- --config=configs/tiny/pretrain.pbtxt --checkpoint=work_dirs/tiny_pretrain/latest.pt \\\n"
    "      --visualize_dictionary=work_dirs/dictionary               -> entry_<rank>_<id>.png, dictionary_usage.json\n\n"
    "Config modes take --set overrides (e.g. --set=data.eval_batch_size=64,runtime.device=cuda) and --dry_run.";

using soho::eval::VqaEvalRules;
using nlohmann::json;

absl::Status Usage(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " (see --help)"));
}

std::string OutputDir(const std::string& fallback) { return FLAGS_output.empty() ? fallback : FLAGS_output; }

// --config is tools/cli's flag.
std::string ConfigPath() { return gflags::GetCommandLineFlagInfoOrDie("config").current_value; }

void PrintVqaAccuracy(const soho::eval::VqaAccuracy& accuracy, VqaEvalRules rules, const std::string& source) {
  std::cout << "Official VQA accuracy (vqaEval.py " << soho::eval::VqaEvalRulesName(rules) << " rules, " << source
            << "):\n"
            << soho::eval::FormatVqaAccuracyTable(accuracy);
}

absl::Status WriteJson(const std::string& path, const json& value) {
  SOHO_RETURN_IF_ERROR(soho::data::WriteJsonFile(path, value));
  std::cout << "wrote " << path << "\n";
  return absl::OkStatus();
}

// --- scoring official files ------------------------------------------------------------

absl::Status ScoreFiles(VqaEvalRules rules) {
  if (FLAGS_questions.empty() || FLAGS_annotations.empty() || FLAGS_results.empty()) {
    return Usage("scoring files needs --questions, --annotations and --results");
  }
  if (!FLAGS_checkpoint.empty() || !FLAGS_image.empty()) {
    return Usage("--results scores a results file; --checkpoint and --image go with --config");
  }
  SOHO_ASSIGN_OR_RETURN(const auto ground_truth, soho::eval::ReadVqaGroundTruth(FLAGS_questions, FLAGS_annotations));
  SOHO_ASSIGN_OR_RETURN(const auto results, soho::eval::ReadVqaResultsFile(FLAGS_results));
  SOHO_ASSIGN_OR_RETURN(const soho::eval::VqaAccuracy accuracy,
                        soho::eval::ScoreVqa(ground_truth, results, rules, {FLAGS_annotations, FLAGS_results}));
  PrintVqaAccuracy(accuracy, rules, FLAGS_annotations);
  const size_t slash = FLAGS_results.rfind('/');
  const std::string dir = OutputDir(slash == std::string::npos ? "." : FLAGS_results.substr(0, slash));
  return WriteJson(dir + "/vqa_accuracy.json", soho::eval::VqaAccuracyToJson(accuracy));
}

// --- config modes --------------------------------------------------------------------------

struct Run {
  soho::proto::SohoConfig config;
  c10::Device device{c10::kCPU};
  std::shared_ptr<const soho::data::BertTokenizer> tokenizer;
};

absl::StatusOr<Run> PrepareRun(const soho::proto::SohoConfig& config) {
  if (FLAGS_checkpoint.empty()) return Usage("--checkpoint is required with --config");
  Run run;
  run.config = config;
  SOHO_ASSIGN_OR_RETURN(run.device, soho::ParseDevice(config.runtime().device(), "runtime.device"));
  if (config.runtime().num_threads() > 0) {
    at::set_num_threads(config.runtime().num_threads());
    soho::SetOpenBlasThreads(config.runtime().num_threads());
  }
  const soho::proto::DataConfig& data = config.data();
  SOHO_ASSIGN_OR_RETURN(std::unique_ptr<soho::data::BertTokenizer> tokenizer,
                        soho::data::BertTokenizer::Create(data.vocab_file(), data.lower_case()));
  if (tokenizer->vocab_size() > config.model().transformer().vocab_size()) {
    return absl::InvalidArgumentError(absl::StrCat(data.vocab_file(), " has ", tokenizer->vocab_size(),
                                                   " tokens but model.transformer.vocab_size is ",
                                                   config.model().transformer().vocab_size()));
  }
  run.tokenizer = std::move(tokenizer);
  return run;
}

template <typename Model>
absl::Status LoadCheckpoint(Model& model, const Run& run) {
  SOHO_ASSIGN_OR_RETURN(const soho::model::LoadReport report,
                        soho::eval::LoadCheckpointForEval(*model, FLAGS_checkpoint, model->tied_weights()));
  std::cout << "checkpoint " << FLAGS_checkpoint << ": " << soho::eval::SummarizeLoadReport(report) << std::endl;
  model->to(run.device);
  return absl::OkStatus();
}

// The checkpoint's VQA model with every BatchNorm folded into its convolution (eval mode;
// the same answers up to float rounding, fewer passes over the activations).
absl::StatusOr<soho::model::SohoVqaModel> LoadVqaModelForInference(const Run& run) {
  soho::model::SohoVqaModel model(run.config.model());
  SOHO_RETURN_IF_ERROR(LoadCheckpoint(model, run));
  model->eval();
  return model->FoldedForInference();
}

absl::Status RunVqaSplit(const Run& run, VqaEvalRules rules) {
  const soho::proto::DataConfig& data = run.config.data();
  soho::data::Split split;
  if (FLAGS_split == "val") {
    split = soho::data::Split::kVal;
  } else if (FLAGS_split == "test") {
    split = soho::data::Split::kTest;
  } else {
    return Usage(absl::StrCat("--split must be val or test, got '", FLAGS_split, "'"));
  }
  if (FLAGS_questions.empty() != FLAGS_annotations.empty()) {
    return Usage("--questions and --annotations go together");
  }
  if (split == soho::data::Split::kTest && !FLAGS_annotations.empty()) {
    return Usage("--questions/--annotations score the val split; test predictions are for the evaluation server");
  }
  SOHO_ASSIGN_OR_RETURN(const auto dataset, soho::data::VqaDataset::Create(data, split, run.tokenizer));
  if (dataset->num_answers() != run.config.model().head().num_answers()) {
    return absl::InvalidArgumentError(absl::StrCat(dataset->name(), " has ", dataset->num_answers(),
                                                   " answers but model.head.num_answers is ",
                                                   run.config.model().head().num_answers()));
  }
  // The official ground truth is read before the model runs: a bad file fails fast.
  std::optional<std::vector<soho::eval::VqaGroundTruth>> ground_truth;
  std::string ground_truth_source;
  if (split == soho::data::Split::kVal) {
    if (!FLAGS_annotations.empty()) {
      SOHO_ASSIGN_OR_RETURN(ground_truth, soho::eval::ReadVqaGroundTruth(FLAGS_questions, FLAGS_annotations));
      ground_truth_source = FLAGS_annotations;
    } else {
      SOHO_ASSIGN_OR_RETURN(ground_truth, soho::eval::ReadSplitGroundTruth(data.val()));
      ground_truth_source = "data.val official_annotations";
    }
  }

  SOHO_ASSIGN_OR_RETURN(soho::model::SohoVqaModel model, LoadVqaModelForInference(run));
  soho::eval::VqaPredictorOptions options = soho::eval::VqaPredictorOptions::FromConfig(data);
  options.top_k = FLAGS_top_k;
  SOHO_ASSIGN_OR_RETURN(const soho::eval::VqaSplitPredictions predictions,
                        soho::eval::PredictVqaSplit(model, *dataset, options));

  const std::string dir = OutputDir(absl::StrCat(run.config.runtime().work_dir(), "/eval_", FLAGS_split));
  const std::string results_path = dir + "/vqa_results.json";
  const std::vector<soho::eval::VqaResult> results = soho::eval::ToVqaResults(predictions.predictions);
  SOHO_RETURN_IF_ERROR(soho::eval::WriteVqaResultsFile(results_path, results));
  std::cout << "wrote " << results_path << " (" << results.size() << " answers, official submission layout)\n";
  SOHO_RETURN_IF_ERROR(soho::eval::WriteVqaTopKFile(dir + "/vqa_results_topk.json", predictions.predictions));
  std::cout << "wrote " << dir << "/vqa_results_topk.json (top " << FLAGS_top_k << " with sigmoid probabilities)\n";

  json report = {{"mode", "vqa"},
                 {"config", ConfigPath()},
                 {"checkpoint", FLAGS_checkpoint},
                 {"split", FLAGS_split},
                 {"dataset", dataset->name()},
                 {"questions_answered", predictions.predictions.size()},
                 {"questions_skipped", predictions.skipped_questions},
                 {"results", results_path}};
  if (split == soho::data::Split::kVal) {
    std::cout << absl::StrFormat("VQA soft score (mean min(1, 0.3 n) of the arg-max answer): %.2f over %d questions\n",
                                 predictions.soft_score, predictions.predictions.size());
    report["soft_score"] = predictions.soft_score;
    if (ground_truth.has_value()) {
      absl::StatusOr<soho::eval::VqaAccuracy> scored =
          soho::eval::ScoreVqa(*ground_truth, results, rules, {ground_truth_source, results_path});
      if (!scored.ok() && predictions.skipped_questions > 0) {
        return absl::Status(scored.status().code(),
                            absl::StrCat(scored.status().message(), "; ", predictions.skipped_questions,
                                         " questions got no answer because their images could not be read (see the log)"));
      }
      SOHO_ASSIGN_OR_RETURN(const soho::eval::VqaAccuracy accuracy, std::move(scored));
      PrintVqaAccuracy(accuracy, rules, ground_truth_source);
      SOHO_RETURN_IF_ERROR(WriteJson(dir + "/vqa_accuracy.json", soho::eval::VqaAccuracyToJson(accuracy)));
      report["official"] = soho::eval::VqaAccuracyToJson(accuracy);
      report["vqa_eval_rules"] = soho::eval::VqaEvalRulesName(rules);
    } else {
      std::cout << "official accuracy: not computed; the val sources name no official_questions/"
                   "official_annotations (or pass --questions/--annotations)\n";
    }
  }
  return WriteJson(dir + "/eval_report.json", report);
}

absl::Status RunSingleQuestion(const Run& run) {
  if (FLAGS_image.empty() || FLAGS_question.empty()) return Usage("--image and --question go together");
  const soho::proto::DataConfig& data = run.config.data();
  // The answer vocabulary (label2ans) is in every VQA annotation file of the config; the
  // first one found serves.
  const soho::proto::DataSource* source = !data.val().empty()    ? &data.val(0)
                                          : !data.test().empty() ? &data.test(0)
                                          : !data.train().empty() ? &data.train(0)
                                                                  : nullptr;
  if (source == nullptr) {
    return absl::InvalidArgumentError("the config names no VQA annotation file to take the answer vocabulary from");
  }
  SOHO_ASSIGN_OR_RETURN(const soho::data::VqaAnnotations annotations,
                        soho::data::ReadVqaAnnotations(source->annotation()));
  if (annotations.answers.size() != run.config.model().head().num_answers()) {
    return absl::InvalidArgumentError(absl::StrCat(source->annotation(), " has ", annotations.answers.size(),
                                                   " answers but model.head.num_answers is ",
                                                   run.config.model().head().num_answers()));
  }
  SOHO_ASSIGN_OR_RETURN(const soho::data::ImagePipeline pipeline,
                        soho::data::ImagePipeline::Create(data.image(), /*training=*/false));
  SOHO_ASSIGN_OR_RETURN(soho::model::SohoVqaModel model, LoadVqaModelForInference(run));
  const soho::eval::SingleQuestionInputs inputs{&pipeline, run.tokenizer.get(), &annotations.answers,
                                                data.max_text_length()};
  const auto start = std::chrono::steady_clock::now();
  SOHO_ASSIGN_OR_RETURN(const soho::eval::VqaPrediction prediction,
                        soho::eval::PredictVqaSingle(model, inputs, FLAGS_image, FLAGS_question, FLAGS_top_k));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "Q: " << FLAGS_question << "\n";
  for (size_t i = 0; i < prediction.top.size(); ++i) {
    std::cout << absl::StrFormat("  %d. %-24s %.4f\n", i + 1, prediction.top[i].answer, prediction.top[i].probability);
  }
  std::cout << absl::StrFormat("(sigmoid probabilities; %.0f ms for decode, resize and the model on %s)\n", ms,
                               run.device.str());
  return absl::OkStatus();
}

absl::Status RunPretrain(const Run& run) {
  if (FLAGS_split != "val") return Usage("pre-training checkpoints are evaluated on the val split (--split=val)");
  if (FLAGS_retrieval_images < 0) return Usage("--retrieval_images must be >= 0");
  const soho::proto::DataConfig& data = run.config.data();
  SOHO_ASSIGN_OR_RETURN(const auto dataset,
                        soho::data::PretrainDataset::Create(data, soho::data::Split::kVal, run.tokenizer));
  soho::model::SohoPretrainModel model(run.config.model());
  SOHO_RETURN_IF_ERROR(LoadCheckpoint(model, run));
  SOHO_ASSIGN_OR_RETURN(const soho::eval::PretrainTaskMetrics m,
                        soho::eval::EvaluatePretrainTasks(
                            model, *dataset, soho::eval::PretrainEvalOptions::FromConfig(data, run.config.runtime().seed())));
  // An accuracy over nothing (e.g. no cell masked at a small neck.mask_prob) is shown as "-"
  // and written as null, not as 0.
  auto row = [](const char* task, double accuracy, int64_t counted) {
    return absl::StrFormat("  %-22s %9s %10d\n", task, counted > 0 ? absl::StrFormat("%.2f", accuracy) : "-", counted);
  };
  auto value = [](double accuracy, int64_t counted) { return counted > 0 ? json(accuracy) : json(nullptr); };
  // The balanced ITM accuracy needs matched and swapped captions both: counted as the fewer.
  const int64_t itm_smaller_kind = std::min(m.itm_swapped_total, m.itm_total - m.itm_swapped_total);
  std::cout << "Pre-training tasks on " << dataset->name() << " (seed " << run.config.runtime().seed() << "):\n"
            << absl::StrFormat("  %-22s %9s %10s\n", "task", "accuracy", "counted")
            << row("MLM (masked tokens)", m.mlm_accuracy(), m.mlm_total)
            << row("MVM (masked cells)", m.mvm_accuracy(), m.mvm_total)
            << row("ITM (captions)", m.itm_accuracy(), m.itm_total)
            << row("ITM, balanced", m.itm_balanced_accuracy(), itm_smaller_kind);
  json report = {{"mode", "pretrain"},
                 {"config", ConfigPath()},
                 {"checkpoint", FLAGS_checkpoint},
                 {"dataset", dataset->name()},
                 {"seed", run.config.runtime().seed()},
                 {"mlm_accuracy", value(m.mlm_accuracy(), m.mlm_total)},
                 {"mlm_masked_tokens", m.mlm_total},
                 {"mvm_accuracy", value(m.mvm_accuracy(), m.mvm_total)},
                 {"mvm_masked_cells", m.mvm_total},
                 {"itm_accuracy", value(m.itm_accuracy(), m.itm_total)},
                 {"itm_captions", m.itm_total},
                 // Mean of the matched and swapped captions' accuracies: 50 for a constant answer.
                 {"itm_balanced_accuracy", value(m.itm_balanced_accuracy(), itm_smaller_kind)},
                 {"itm_swapped_captions", m.itm_swapped_total}};
  if (FLAGS_retrieval_images > 0) {
    soho::eval::ItmRetrievalOptions options;
    options.num_images = FLAGS_retrieval_images;
    SOHO_ASSIGN_OR_RETURN(const soho::eval::ItmRetrievalResult retrieval,
                          soho::eval::EvaluateItmRetrieval(model, data, *run.tokenizer, options));
    std::cout << "Zero-shot retrieval by ITM score: " << soho::eval::FormatRetrievalRecall(retrieval.recall) << "\n";
    json t2i = json::object(), i2t = json::object();
    for (size_t j = 0; j < retrieval.recall.ks.size(); ++j) {
      t2i[absl::StrCat("R@", retrieval.recall.ks[j])] = retrieval.recall.text_to_image[j];
      i2t[absl::StrCat("R@", retrieval.recall.ks[j])] = retrieval.recall.image_to_text[j];
    }
    report["retrieval"] = {{"images", retrieval.recall.num_images},
                           {"texts", retrieval.recall.num_texts},
                           {"skipped_images", retrieval.skipped_images},
                           {"text_to_image", t2i},
                           {"image_to_text", i2t}};
  }
  return WriteJson(OutputDir(run.config.runtime().work_dir() + "/eval_pretrain") + "/pretrain_eval.json", report);
}

absl::Status RunDictionary(const Run& run) {
  soho::model::SohoPretrainModel model(run.config.model());
  SOHO_RETURN_IF_ERROR(LoadCheckpoint(model, run));
  soho::eval::DictionaryVisualizationOptions options;
  options.output_dir = FLAGS_visualize_dictionary;
  options.num_images = FLAGS_dictionary_images;
  options.num_entries = FLAGS_dictionary_entries;
  options.patches_per_entry = FLAGS_dictionary_patches;
  options.batch_size = run.config.data().eval_batch_size();
  SOHO_ASSIGN_OR_RETURN(const soho::eval::DictionaryVisualizationReport report,
                        soho::eval::VisualizeDictionary(model, run.config.data(), options));
  std::cout << "Visual Dictionary: " << report.cells << " cells of " << report.images << " images use "
            << report.used_entries << " of " << run.config.model().neck().dict_size() << " entries\n";
  for (const auto& entry : report.entries) {
    std::cout << absl::StrFormat("  entry %5d %8d cells in %5d images  %s\n", entry.entry, entry.cells, entry.images,
                                 entry.file);
  }
  std::cout << "wrote " << FLAGS_visualize_dictionary << "/dictionary_usage.json\n";
  return absl::OkStatus();
}

absl::Status RunWithConfig(VqaEvalRules rules) {
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagFile("checkpoint", FLAGS_checkpoint));
  SOHO_ASSIGN_OR_RETURN(const soho::proto::SohoConfig config, soho::cli::LoadConfigFromFlags({}, /*check_files=*/false));
  if (soho::cli::DryRun()) {
    soho::cli::PrintDryRun(config);
    return absl::OkStatus();
  }
  const bool vqa = config.model().head().kind() == soho::proto::HeadConfig::VQA;
  const bool single = !FLAGS_image.empty() || !FLAGS_question.empty();
  if (single && !vqa) return Usage("--image/--question need a VQA config (model.head.kind: VQA)");
  if (!FLAGS_visualize_dictionary.empty() && vqa) {
    return Usage("--visualize_dictionary needs a pre-training config: the VQA model has no Visual Dictionary");
  }
  if (single && !FLAGS_visualize_dictionary.empty()) return Usage("--image and --visualize_dictionary are separate runs");
  if (!vqa && (!FLAGS_questions.empty() || !FLAGS_annotations.empty())) {
    return Usage("--questions/--annotations score VQA; this is a pre-training config");
  }
  SOHO_ASSIGN_OR_RETURN(const soho::proto::RuntimeConfig::Precision precision, soho::cli::ParsePrecision(FLAGS_precision));
  SOHO_ASSIGN_OR_RETURN(const Run run, PrepareRun(config));
  // Autocast is per thread; every forward below runs in this one.
  const soho::train::AutocastScope autocast(precision, run.device);
  if (single) return RunSingleQuestion(run);
  if (!FLAGS_visualize_dictionary.empty()) return RunDictionary(run);
  return vqa ? RunVqaSplit(run, rules) : RunPretrain(run);
}

absl::Status ValidateFlags() {
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("top_k", FLAGS_top_k, 1, 100000));
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("retrieval_images", FLAGS_retrieval_images, 0, 100000));
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("dictionary_images", FLAGS_dictionary_images, 1, 1000000));
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("dictionary_entries", FLAGS_dictionary_entries, 1, 1 << 20));
  return soho::cli::CheckFlagRange("dictionary_patches", FLAGS_dictionary_patches, 1, 4096);
}

absl::Status Main() {
  SOHO_RETURN_IF_ERROR(ValidateFlags());
  SOHO_ASSIGN_OR_RETURN(const VqaEvalRules rules, soho::eval::ParseVqaEvalRules(FLAGS_vqa_eval_rules));
  if (!FLAGS_results.empty()) {
    if (!ConfigPath().empty()) {
      return Usage("--results scores a results file on its own; leave out --config");
    }
    return ScoreFiles(rules);
  }
  if (ConfigPath().empty()) {
    if (!FLAGS_questions.empty() || !FLAGS_annotations.empty()) {
      return Usage("scoring files needs --questions, --annotations and --results");
    }
    return Usage("give --config and --checkpoint to evaluate a model, or --questions, --annotations and --results "
                 "to score a results file");
  }
  return RunWithConfig(rules);
}

}  // namespace

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv, kUsage);
  if (argc > 1) {
    return soho::cli::Report(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", argv[1], "' (flags are --name=value; see --help)")));
  }
  return soho::cli::RunMain([]() -> absl::StatusOr<int> {
    SOHO_RETURN_IF_ERROR(Main());
    return 0;
  });
}
