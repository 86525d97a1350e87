#include "soho/proto/config_loader.h"

#include <cmath>
#include <optional>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"

namespace soho::proto {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using proto::SohoConfig;

// Collects text-format parse errors as "source:line:column: message" (1-based).
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorCollector(std::string source) : source_(std::move(source)) {}
  void AddError(int line, int column, const std::string& message) override {
    errors_.push_back(absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, int column, const std::string& message) override {
    AddError(line, column, message);
  }
  std::string Joined() const { return absl::StrJoin(errors_, "\n"); }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

// Validation problems, each "field.path: message".
class Problems {
 public:
  void Add(const std::string& field, const std::string& message) {
    lines_.push_back(absl::StrCat(field, ": ", message));
  }
  template <typename T>
  void CheckRange(const std::string& field, T value, T lo, T hi, const char* what = "") {
    if (!(value >= lo && value <= hi)) {
      Add(field, absl::StrCat("must be in [", lo, ", ", hi, "]", what, " (got ", value, ")"));
    }
  }
  void CheckPositive(const std::string& field, double value) {
    if (!(value > 0)) Add(field, absl::StrCat("must be > 0 (got ", value, ")"));
  }
  void CheckFile(const std::string& field, const std::string& path) {
    if (path.empty()) return;
    if (!PathExists(path)) Add(field, absl::StrCat("file not found: ", path));
  }
  bool empty() const { return lines_.empty(); }
  std::string Joined() const { return absl::StrJoin(lines_, "\n"); }

 private:
  std::vector<std::string> lines_;
};

bool LooksLikeOverrideStart(absl::string_view s) {
  static const std::regex kStart(R"(^\s*[A-Za-z_]\w*(\[[0-9]+\])?(\.[A-Za-z_]\w*(\[[0-9]+\])?)*\s*=)");
  return std::regex_search(std::string(s), kStart);
}

void ValidateScale(Problems& p, const std::string& field, const proto::ImageScale& s) {
  p.CheckPositive(field + ".long_edge", s.long_edge());
  p.CheckPositive(field + ".short_edge", s.short_edge());
  if (s.long_edge() < s.short_edge()) {
    p.Add(field, absl::StrCat("long_edge ", s.long_edge(), " < short_edge ", s.short_edge()));
  }
}

void ValidateSources(Problems& p, const std::string& field,
                     const google::protobuf::RepeatedPtrField<proto::DataSource>& sources,
                     bool check_files) {
  for (int i = 0; i < sources.size(); ++i) {
    const std::string f = absl::StrCat(field, "[", i, "]");
    if (sources[i].annotation().empty()) p.Add(f + ".annotation", "must be set");
    if (sources[i].official_questions().empty() != sources[i].official_annotations().empty()) {
      p.Add(f + ".official_questions", "official_questions and official_annotations go together (set both or neither)");
    }
    if (check_files) {
      p.CheckFile(f + ".annotation", sources[i].annotation());
      p.CheckFile(f + ".image_root", sources[i].image_root());
      p.CheckFile(f + ".official_questions", sources[i].official_questions());
      p.CheckFile(f + ".official_annotations", sources[i].official_annotations());
    }
  }
}

bool ValidDevice(const std::string& device) {
  static const std::regex kDevice(R"(^(cpu|cuda(:[0-9]+)?)$)");
  return std::regex_match(device, kDevice);
}

// Sets every unset singular field to its declared default, recursively, so that the
// printed config shows every value a run uses.
void MaterializeDefaults(Message* message) {
  const Descriptor* descriptor = message->GetDescriptor();
  const Reflection* reflection = message->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(*message, field); ++j) {
          MaterializeDefaults(reflection->MutableRepeatedMessage(message, field, j));
        }
      } else if (reflection->HasField(*message, field)) {
        MaterializeDefaults(reflection->MutableMessage(message, field));
      }
      continue;
    }
    if (field->is_repeated() || reflection->HasField(*message, field)) continue;
    // Strings without a declared default (paths) stay unset rather than printing "".
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !field->has_default_value()) continue;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: reflection->SetInt32(message, field, field->default_value_int32()); break;
      case FieldDescriptor::CPPTYPE_INT64: reflection->SetInt64(message, field, field->default_value_int64()); break;
      case FieldDescriptor::CPPTYPE_UINT32: reflection->SetUInt32(message, field, field->default_value_uint32()); break;
      case FieldDescriptor::CPPTYPE_UINT64: reflection->SetUInt64(message, field, field->default_value_uint64()); break;
      case FieldDescriptor::CPPTYPE_FLOAT: reflection->SetFloat(message, field, field->default_value_float()); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: reflection->SetDouble(message, field, field->default_value_double()); break;
      case FieldDescriptor::CPPTYPE_BOOL: reflection->SetBool(message, field, field->default_value_bool()); break;
      case FieldDescriptor::CPPTYPE_ENUM: reflection->SetEnum(message, field, field->default_value_enum()); break;
      case FieldDescriptor::CPPTYPE_STRING: reflection->SetString(message, field, field->default_value_string()); break;
      case FieldDescriptor::CPPTYPE_MESSAGE: break;
    }
  }
}

// Where the text's braces fail to pair up, as "source:line:column: ..." (empty when they
// pair). Skips strings and # comments, as the text-format tokenizer does.
std::string UnbalancedBrace(const std::string& text, const std::string& source) {
  struct Position {
    int line, column;
  };
  std::vector<Position> open;
  int line = 1, column = 0;
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
      comment = false;
      quote = 0;  // text-format strings do not span lines
      continue;
    }
    if (comment) continue;
    if (quote != 0) {
      if (c == '\\') {
        ++i;
        ++column;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '#') {
      comment = true;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{') {
      open.push_back({line, column});
    } else if (c == '}') {
      if (open.empty()) return absl::StrCat(source, ":", line, ":", column, ": '}' closes no open block");
      open.pop_back();
    }
  }
  if (open.empty()) return "";
  return absl::StrCat(source, ":", open.back().line, ":", open.back().column,
                      ": this '{' is never closed (a missing '}'?)");
}

// "train[2]" -> ("train", 2); "train" -> ("train", -1); nullopt when the brackets are malformed.
std::optional<std::pair<std::string, int>> SplitIndex(const std::string& part) {
  const size_t bracket = part.find('[');
  if (bracket == std::string::npos) return std::pair{part, -1};
  int index = 0;
  if (part.back() != ']' ||
      !absl::SimpleAtoi(absl::string_view(part).substr(bracket + 1, part.size() - bracket - 2), &index) ||
      index < 0) {
    return std::nullopt;
  }
  return std::pair{part.substr(0, bracket), index};
}

}  // namespace

absl::StatusOr<SohoConfig> ParseConfigText(const std::string& text, const std::string& source) {
  SohoConfig config;
  ErrorCollector errors(source);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(false);
  if (!parser.ParseFromString(text, &config)) {
    const std::string brace = UnbalancedBrace(text, source);
    return absl::InvalidArgumentError(brace.empty() ? errors.Joined() : absl::StrCat(brace, "\n", errors.Joined()));
  }
  return config;
}

std::vector<std::string> SplitOverrides(const std::string& flag_value) {
  std::vector<std::string> out;
  for (absl::string_view piece : absl::StrSplit(flag_value, ',')) {
    if (out.empty() || LooksLikeOverrideStart(piece)) {
      out.emplace_back(piece);
    } else {
      absl::StrAppend(&out.back(), ",", piece);
    }
  }
  std::vector<std::string> trimmed;
  for (auto& o : out) {
    std::string s(absl::StripAsciiWhitespace(o));
    if (!s.empty()) trimmed.push_back(std::move(s));
  }
  return trimmed;
}

absl::Status ApplyOverrides(const std::vector<std::string>& overrides, SohoConfig* config) {
  for (const std::string& override_text : overrides) {
    const size_t eq = override_text.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--set ", override_text, ": expected field.path=value"));
    }
    const std::string path(absl::StripAsciiWhitespace(override_text.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(override_text.substr(eq + 1)));
    const std::vector<std::string> parts = absl::StrSplit(path, '.');

    // Walk the path through the descriptors, checking each name, and clear the target
    // so that a repeated field is replaced rather than appended to.
    Message* message = config;
    const FieldDescriptor* field = nullptr;
    for (size_t i = 0; i < parts.size(); ++i) {
      const auto name_index = SplitIndex(parts[i]);
      if (!name_index) {
        return absl::InvalidArgumentError(
            absl::StrCat("--set ", path, ": '", parts[i], "' is not a field name or name[index]"));
      }
      const auto& [name, index] = *name_index;
      const Descriptor* descriptor = message->GetDescriptor();
      field = descriptor->FindFieldByName(name);
      if (field == nullptr) {
        std::vector<std::string> names;
        for (int f = 0; f < descriptor->field_count(); ++f) names.push_back(descriptor->field(f)->name());
        return absl::InvalidArgumentError(absl::StrCat(
            "--set ", path, ": ", descriptor->name(), " has no field '", name,
            "' (fields: ", absl::StrJoin(names, ", "), ")"));
      }
      const bool last = i + 1 == parts.size();
      const bool repeated_message = field->is_repeated() && field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
      if (index >= 0 && (last || !repeated_message)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--set ", path, ": an index selects an element of a repeated message on the way to a field "
            "(data.train[0].annotation=...); to replace a whole list, give it without an index (",
            name, "=[...])"));
      }
      if (last) break;
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": '", name, "' is not a message field"));
      }
      const Reflection* reflection = message->GetReflection();
      if (!field->is_repeated()) {
        message = reflection->MutableMessage(message, field);
        continue;
      }
      const int size = reflection->FieldSize(*message, field);
      if (index < 0 || index >= size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--set ", path, ": '", name, "' is a repeated field with ", size, " element(s); address one as ",
            name, "[0]", size > 1 ? absl::StrCat("..", name, "[", size - 1, "]") : "",
            " or replace the list with ", name, "=[{...}]"));
      }
      message = reflection->MutableRepeatedMessage(message, field, index);
    }
    message->GetReflection()->ClearField(message, field);

    // Quote bare strings so that `runtime.work_dir=/tmp/x` works without shell gymnastics.
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !absl::StartsWith(value, "\"") &&
        !absl::StartsWith(value, "'") && !absl::StartsWith(value, "[")) {
      value = absl::StrCat("\"", absl::CEscape(value), "\"");
    }
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    const std::string snippet = absl::StrCat(field->name(), is_message ? " " : ": ", value);
    ErrorCollector errors(absl::StrCat("--set ", path));
    google::protobuf::TextFormat::Parser parser;
    parser.RecordErrorsTo(&errors);
    parser.AllowUnknownField(false);
    if (!parser.MergeFromString(snippet, message)) {
      return absl::InvalidArgumentError(errors.Joined());
    }
  }
  return absl::OkStatus();
}

void ResolveDefaults(SohoConfig* config) {
  proto::BackboneConfig* backbone = config->mutable_model()->mutable_backbone();
  if (backbone->out_stages_size() == 0) backbone->add_out_stages(4);
  config->mutable_model()->mutable_neck();
  config->mutable_model()->mutable_transformer();
  config->mutable_model()->mutable_head();

  proto::ImageConfig* image = config->mutable_data()->mutable_image();
  if (image->mean_size() == 0) {
    for (float m : {123.675f, 116.28f, 103.53f}) image->add_mean(m);
  }
  if (image->std_size() == 0) {
    for (float s : {58.395f, 57.12f, 57.375f}) image->add_std(s);
  }
  if (!image->has_test_scale()) {
    image->mutable_test_scale()->set_long_edge(1000);
    image->mutable_test_scale()->set_short_edge(600);
  }
  config->mutable_optimizer();
  config->mutable_schedule();
  config->mutable_runtime();
  MaterializeDefaults(config);
}

namespace {

// ValidateConfig, one message at a time: each adds its problems to `p`.

void ValidateModel(Problems& p, const proto::ModelConfig& model, int max_text_length) {
  const auto& backbone = model.backbone();
  if (!std::set<int>{18, 34, 50, 101}.count(backbone.depth())) {
    p.Add("model.backbone.depth", absl::StrCat("must be one of 18, 34, 50, 101 (got ", backbone.depth(), ")"));
  }
  // What model::ResNetImpl accepts.
  p.CheckRange("model.backbone.frozen_stages", backbone.frozen_stages(), 0, 4);
  p.CheckRange("model.backbone.base_channels", backbone.base_channels(), 1, 1024);
  for (int stage : backbone.out_stages()) p.CheckRange("model.backbone.out_stages", stage, 1, 4);

  const auto& neck = model.neck();
  const auto& transformer = model.transformer();
  if (neck.out_channels() != transformer.hidden_size()) {
    p.Add("model.neck.out_channels", absl::StrCat("must equal model.transformer.hidden_size (",
                                                  neck.out_channels(), " vs ", transformer.hidden_size(), ")"));
  }
  p.CheckPositive("model.neck.dict_size", neck.dict_size());
  p.CheckRange("model.neck.decay", neck.decay(), 0.0f, 1.0f);
  p.CheckRange("model.neck.max_decay", neck.max_decay(), 0.0f, 1.0f);
  p.CheckPositive("model.neck.dict_eps", neck.dict_eps());
  p.CheckRange("model.neck.mask_prob", neck.mask_prob(), 0.0f, 1.0f);
  p.CheckPositive("model.neck.layer_norm_eps", neck.layer_norm_eps());

  p.CheckRange("model.transformer.num_layers", transformer.num_layers(), 1, 48);
  p.CheckPositive("model.transformer.hidden_size", transformer.hidden_size());
  p.CheckPositive("model.transformer.num_heads", transformer.num_heads());
  if (transformer.num_heads() > 0 && transformer.hidden_size() % transformer.num_heads() != 0) {
    p.Add("model.transformer.num_heads",
          absl::StrCat("hidden_size ", transformer.hidden_size(), " is not divisible by num_heads ",
                       transformer.num_heads()));
  }
  p.CheckPositive("model.transformer.intermediate_size", transformer.intermediate_size());
  p.CheckRange("model.transformer.hidden_dropout", transformer.hidden_dropout(), 0.0f, 0.99f);
  p.CheckRange("model.transformer.attention_dropout", transformer.attention_dropout(), 0.0f, 0.99f);
  p.CheckPositive("model.transformer.vocab_size", transformer.vocab_size());
  p.CheckPositive("model.transformer.type_vocab_size", transformer.type_vocab_size());
  if (transformer.max_position_embeddings() < max_text_length) {
    p.Add("model.transformer.max_position_embeddings",
          absl::StrCat("must be >= data.max_text_length (", transformer.max_position_embeddings(),
                       " < ", max_text_length, ")"));
  }

  const auto& head = model.head();
  const bool vqa_neck = neck.kind() == proto::NeckConfig::VQA;
  const bool vqa_head = head.kind() == proto::HeadConfig::VQA;
  if (vqa_neck != vqa_head) {
    p.Add("model.head.kind", absl::StrCat(proto::HeadConfig::Kind_Name(head.kind()),
                                          " head does not fit a ", proto::NeckConfig::Kind_Name(neck.kind()),
                                          " neck (VQA goes with VQA, PRETRAIN with PRETRAIN/PRETRAIN_GATE)"));
  }
  for (const auto& [name, w] : {std::pair{"mlm_weight", head.mlm_weight()},
                                std::pair{"mvm_weight", head.mvm_weight()},
                                std::pair{"itm_weight", head.itm_weight()}}) {
    if (w < 0) p.Add(absl::StrCat("model.head.", name), absl::StrCat("must be >= 0 (got ", w, ")"));
  }
  p.CheckPositive("model.head.num_answers", head.num_answers());
  p.CheckPositive("model.head.vqa_hidden_size", head.vqa_hidden_size());
  p.CheckRange("model.head.vqa_dropout", head.vqa_dropout(), 0.0f, 0.99f);
}

void ValidateData(Problems& p, const proto::DataConfig& data, bool check_files) {
  ValidateSources(p, "data.train", data.train(), check_files);
  ValidateSources(p, "data.val", data.val(), check_files);
  ValidateSources(p, "data.test", data.test(), check_files);
  if (check_files) p.CheckFile("data.vocab_file", data.vocab_file());
  const auto& image = data.image();
  for (int i = 0; i < image.train_scales_size(); ++i) {
    ValidateScale(p, absl::StrCat("data.image.train_scales[", i, "]"), image.train_scales(i));
  }
  if (image.has_test_scale()) ValidateScale(p, "data.image.test_scale", image.test_scale());
  if (image.mean_size() != 0 && image.mean_size() != 3) {
    p.Add("data.image.mean", absl::StrCat("needs 3 values (R, G, B), got ", image.mean_size()));
  }
  if (image.std_size() != 0 && image.std_size() != 3) {
    p.Add("data.image.std", absl::StrCat("needs 3 values (R, G, B), got ", image.std_size()));
  }
  for (float s : image.std()) p.CheckPositive("data.image.std", s);
  p.CheckRange("data.image.size_divisor", image.size_divisor(), 1, 1024);
  p.CheckRange("data.image.min_size", image.min_size(), 1, 100000);
  p.CheckRange<int64_t>("data.image.max_pixels", image.max_pixels(), 1, int64_t{1} << 31);
  p.CheckRange("data.max_text_length", data.max_text_length(), 3, 512);
  p.CheckRange("data.sentence_group", data.sentence_group(), 1, 64);
  p.CheckRange("data.batch_size", data.batch_size(), 1, 65536);
  p.CheckRange("data.eval_batch_size", data.eval_batch_size(), 1, 65536);
  p.CheckRange("data.num_workers", data.num_workers(), 0, 256);
  p.CheckRange("data.prefetch_batches", data.prefetch_batches(), 1, 1024);
  p.CheckRange("data.mlm_prob", data.mlm_prob(), 0.0f, 1.0f);
  p.CheckRange("data.itm_neg_prob", data.itm_neg_prob(), 0.0f, 1.0f);
  p.CheckRange("data.itm_row_prob", data.itm_row_prob(), 0.0f, 1.0f);
  p.CheckRange("data.max_skipped_fraction", data.max_skipped_fraction(), 0.0f, 1.0f);
}

void ValidateOptimizer(Problems& p, const proto::OptimizerConfig& opt) {
  p.CheckPositive("optimizer.lr", opt.lr());
  p.CheckRange("optimizer.weight_decay", opt.weight_decay(), 0.0f, 1.0f);
  p.CheckRange("optimizer.beta1", opt.beta1(), 0.0f, 0.99999f);
  p.CheckRange("optimizer.beta2", opt.beta2(), 0.0f, 0.99999f);
  p.CheckPositive("optimizer.eps", opt.eps());
  p.CheckRange("optimizer.grad_clip_norm", opt.grad_clip_norm(), 0.0f, 1e9f);
  p.CheckRange("optimizer.update_interval", opt.update_interval(), 1, 1024);
  for (int i = 0; i < opt.groups_size(); ++i) {
    const auto& g = opt.groups(i);
    const std::string f = absl::StrCat("optimizer.groups[", i, "]");
    if (g.name_regex().empty()) {
      p.Add(f + ".name_regex", "must be set");
    } else {
      try {
        std::regex re(g.name_regex());
      } catch (const std::regex_error& e) {
        p.Add(f + ".name_regex", absl::StrCat("invalid regex '", g.name_regex(), "': ", e.what()));
      }
    }
    p.CheckRange(f + ".lr_mult", g.lr_mult(), 0.0f, 1e6f);
    p.CheckRange(f + ".weight_decay", g.weight_decay(), 0.0f, 1.0f);
    p.CheckRange(f + ".momentum", g.momentum(), 0.0f, 0.99999f);
  }
}

void ValidateSchedule(Problems& p, const proto::ScheduleConfig& schedule) {
  p.CheckRange("schedule.epochs", schedule.epochs(), 1, 100000);
  int previous = 0;
  for (int e : schedule.step_epochs()) {
    if (e <= previous || e > schedule.epochs()) {
      p.Add("schedule.step_epochs", absl::StrCat("must increase within (0, epochs=", schedule.epochs(),
                                                 "] (got ", e, " after ", previous, ")"));
    }
    previous = e;
  }
  p.CheckRange("schedule.gamma", schedule.gamma(), 0.0f, 1.0f);
  p.CheckRange("schedule.warmup_iters", schedule.warmup_iters(), 0, 100000000);
  p.CheckRange("schedule.warmup_ratio", schedule.warmup_ratio(), 0.0f, 1.0f);
  p.CheckRange("schedule.min_lr_ratio", schedule.min_lr_ratio(), 0.0f, 1.0f);
  p.CheckRange<int64_t>("schedule.max_iters", schedule.max_iters(), 0, int64_t{1} << 40);
}

void ValidateRuntime(Problems& p, const proto::RuntimeConfig& runtime, bool check_files) {
  if (!ValidDevice(runtime.device())) {
    p.Add("runtime.device", absl::StrCat("must be cpu, cuda or cuda:N (got '", runtime.device(), "')"));
  }
  p.CheckRange("runtime.num_threads", runtime.num_threads(), 0, 1024);
  p.CheckRange("runtime.checkpoint_interval_epochs", runtime.checkpoint_interval_epochs(), 0, 100000);
  p.CheckRange("runtime.checkpoint_interval_iters", runtime.checkpoint_interval_iters(), 0, 1 << 30);
  p.CheckRange("runtime.keep_checkpoints", runtime.keep_checkpoints(), 0, 100000);
  p.CheckRange("runtime.log_interval", runtime.log_interval(), 1, 1 << 30);
  p.CheckRange("runtime.eval_interval_epochs", runtime.eval_interval_epochs(), 0, 100000);
  if (runtime.precision() == proto::RuntimeConfig::FP16 && !absl::StartsWith(runtime.device(), "cuda")) {
    p.Add("runtime.precision", absl::StrCat("FP16 needs a CUDA device (runtime.device is '", runtime.device(),
                                            "'); use BF16 on the CPU"));
  }
  p.CheckRange("runtime.max_nonfinite_steps", runtime.max_nonfinite_steps(), 1, 1 << 30);
  p.CheckRange("runtime.dist_timeout_s", runtime.dist_timeout_s(), 1, 7 * 24 * 3600);
  if (runtime.work_dir().empty()) p.Add("runtime.work_dir", "must be set");
  for (int i = 0; i < runtime.init_from_size(); ++i) {
    const std::string field = absl::StrCat("runtime.init_from[", i, "]");
    if (runtime.init_from(i).empty()) {
      // What `--set runtime.init_from=` produces: a run meant to start fresh says so instead.
      p.Add(field, "is empty; to start from fresh weights, give no init_from (--set runtime.init_from=[])");
    } else if (check_files) {
      p.CheckFile(field, runtime.init_from(i));
    }
  }
  if (check_files && runtime.resume_from() != "auto") {
    p.CheckFile("runtime.resume_from", runtime.resume_from());
  }
}

}  // namespace

absl::Status ValidateConfig(const SohoConfig& config, const ValidateOptions& options) {
  Problems p;
  ValidateModel(p, config.model(), config.data().max_text_length());
  ValidateData(p, config.data(), options.check_files);
  ValidateOptimizer(p, config.optimizer());
  ValidateSchedule(p, config.schedule());
  ValidateRuntime(p, config.runtime(), options.check_files);
  if (!p.empty()) return absl::InvalidArgumentError(p.Joined());
  return absl::OkStatus();
}

absl::StatusOr<SohoConfig> LoadConfig(const std::string& path, const std::vector<std::string>& overrides,
                                      const ValidateOptions& options) {
  SOHO_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxConfigBytes));
  SOHO_ASSIGN_OR_RETURN(SohoConfig config, ParseConfigText(text, path));
  // Every default on its own is not a run anyone means: an empty file is a wrong path or a
  // write that failed.
  if (config.ByteSizeLong() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the config sets no fields (empty file?)"));
  }
  SOHO_RETURN_IF_ERROR(ApplyOverrides(overrides, &config));
  ResolveDefaults(&config);
  if (absl::Status s = ValidateConfig(config, options); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": invalid config:\n", s.message()));
  }
  return config;
}

std::string ConfigToText(const SohoConfig& config) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseShortRepeatedPrimitives(true);
  printer.PrintToString(config, &text);
  return text;
}

}  // namespace soho::proto
