#include "soho/proto/config_loader.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"

namespace soho::proto {
namespace {

using ::testing::HasSubstr;

std::string TempFile(const std::string& name, const std::string& contents) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  EXPECT_TRUE(WriteFileAtomically(path, contents).ok());
  return path;
}

ValidateOptions NoFileChecks() { return ValidateOptions{.check_files = false}; }

TEST(ConfigLoader, ShippedConfigsParseAndValidate) {
  for (const char* path : {"configs/pretrain/soho_res18_pre.pbtxt", "configs/vqa/soho_res18_vqa.pbtxt",
                           "configs/tiny/pretrain.pbtxt", "configs/tiny/vqa.pbtxt"}) {
    auto config = LoadConfig(path, {}, NoFileChecks());
    EXPECT_TRUE(config.ok()) << path << ": " << config.status();
  }
}

TEST(ConfigLoader, ReferenceConfigHasReleasedSettings) {
  auto config = LoadConfig("configs/pretrain/soho_res18_pre.pbtxt", {}, NoFileChecks());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->model().backbone().depth(), 18);
  EXPECT_EQ(config->model().neck().dict_size(), 2048);
  EXPECT_EQ(config->model().transformer().num_layers(), 3);
  EXPECT_EQ(config->optimizer().groups(0).optimizer(), proto::ParamGroup::SGD);
  EXPECT_FLOAT_EQ(config->optimizer().groups(0).lr_mult(), 100);
  ASSERT_EQ(config->schedule().step_epochs_size(), 2);
  EXPECT_EQ(config->schedule().step_epochs(1), 35);
  // Resolved defaults: normalization constants and the output stage.
  ASSERT_EQ(config->data().image().mean_size(), 3);
  EXPECT_FLOAT_EQ(config->data().image().mean(0), 123.675f);
  EXPECT_EQ(config->model().backbone().out_stages(0), 4);
}

TEST(ConfigLoader, SyntaxErrorReportsFileLineColumn) {
  const std::string path = TempFile("bad_syntax.pbtxt", "model {\n  backbone { depth: }\n}\n");
  auto config = LoadConfig(path, {}, NoFileChecks());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(path + ":2:"));
}

TEST(ConfigLoader, UnknownFieldIsRejectedWithItsName) {
  const std::string path = TempFile("unknown.pbtxt", "model {\n  backbone { dpeth: 50 }\n}\n");
  auto config = LoadConfig(path, {}, NoFileChecks());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("dpeth"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(path + ":2:"));
}

TEST(ConfigLoader, BadValuesNameTheField) {
  const std::string path = TempFile(
      "bad_values.pbtxt",
      "model { backbone { depth: 19 } transformer { hidden_size: 768 num_heads: 10 } }\n"
      "runtime { dist_timeout_s: 0 }\n");
  auto config = LoadConfig(path, {}, NoFileChecks());
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_THAT(message, HasSubstr("model.backbone.depth: must be one of 18, 34, 50, 101 (got 19)"));
  EXPECT_THAT(message, HasSubstr("model.transformer.num_heads: hidden_size 768 is not divisible"));
  EXPECT_THAT(message, HasSubstr("runtime.dist_timeout_s"));
}

TEST(ConfigLoader, NeckAndHeadKindsMustAgree) {
  const std::string path = TempFile("mismatch.pbtxt", "model { neck { kind: VQA } head { kind: PRETRAIN } }\n");
  auto config = LoadConfig(path, {}, NoFileChecks());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("model.head.kind"));
}

TEST(ConfigLoader, Fp16NeedsCudaAndResumeAutoNeedsNoFile) {
  const std::string path = TempFile("fp16.pbtxt", "runtime { precision: FP16 device: \"cpu\" resume_from: \"auto\" }\n");
  auto config = LoadConfig(path, {}, NoFileChecks());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("runtime.precision: FP16 needs a CUDA device"));
  EXPECT_TRUE(LoadConfig(path, {"runtime.precision=BF16"}).ok());
  EXPECT_TRUE(LoadConfig(path, {"runtime.device=cuda"}).ok());
}

TEST(ConfigLoader, MissingFilesAreReportedWhenChecked) {
  const std::string path = TempFile("files.pbtxt", "data { vocab_file: \"/no/such/vocab.txt\" }\n");
  EXPECT_TRUE(LoadConfig(path, {}, NoFileChecks()).ok());
  auto config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("data.vocab_file: file not found: /no/such/vocab.txt"));
}

// `--set runtime.init_from=` leaves one empty path; it names the element and the way to
// start fresh instead of failing later with "cannot open ''".
TEST(ConfigLoader, EmptyInitFromElementNamesTheFieldAndTheFix) {
  const std::string path = TempFile("init.pbtxt", "runtime { init_from: \"/no/weights.pt\" }\n");
  for (const ValidateOptions& options : {ValidateOptions{}, NoFileChecks()}) {
    auto config = LoadConfig(path, {"runtime.init_from="}, options);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(std::string(config.status().message()),
                HasSubstr("runtime.init_from[0]: is empty; to start from fresh weights, give no init_from "
                          "(--set runtime.init_from=[])"));
  }
  auto fresh = LoadConfig(path, {"runtime.init_from=[]"});
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->runtime().init_from_size(), 0);
  auto missing = LoadConfig(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("runtime.init_from[0]: file not found: /no/weights.pt"));
}

TEST(ConfigLoader, OfficialVqaFilesGoTogetherAndAreChecked) {
  const std::string half = TempFile(
      "official_half.pbtxt", "data { val { annotation: \"v.json\" official_questions: \"q.json\" } }\n");
  auto config = LoadConfig(half, {}, NoFileChecks());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("data.val[0].official_questions: official_questions and official_annotations go together"));
  const std::string both = TempFile("official_both.pbtxt",
                                    "data { val { annotation: \"v.json\" official_questions: \"/no/q.json\" "
                                    "official_annotations: \"/no/a.json\" } }\n");
  EXPECT_TRUE(LoadConfig(both, {}, NoFileChecks()).ok());
  config = LoadConfig(both);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("data.val[0].official_annotations: file not found: /no/a.json"));
}

TEST(ConfigLoader, OverridesReplaceScalarsStringsEnumsAndLists) {
  const std::string path = TempFile("base.pbtxt", "schedule { step_epochs: [25, 35] }\n");
  auto config = LoadConfig(path,
                           SplitOverrides("runtime.seed=3,runtime.work_dir=/tmp/a,b,"
                                          "model.neck.kind=VQA,model.head.kind=VQA,"
                                          "schedule.step_epochs=[10]"),
                           NoFileChecks());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->runtime().seed(), 3);
  EXPECT_EQ(config->runtime().work_dir(), "/tmp/a,b");  // a comma inside a value
  EXPECT_EQ(config->model().neck().kind(), proto::NeckConfig::VQA);
  ASSERT_EQ(config->schedule().step_epochs_size(), 1);
  EXPECT_EQ(config->schedule().step_epochs(0), 10);
}

TEST(ConfigLoader, OverrideErrors) {
  proto::SohoConfig config;
  auto unknown = ApplyOverrides({"runtime.sed=3"}, &config);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("no field 'sed'"));
  auto bad_type = ApplyOverrides({"runtime.seed=abc"}, &config);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_THAT(std::string(bad_type.message()), HasSubstr("runtime.seed"));
  // Overrides are validated like the file: an out-of-range value fails the load.
  const std::string path = TempFile("ok.pbtxt", "runtime { seed: 1 }\n");
  auto invalid = LoadConfig(path, {"model.backbone.depth=7"}, NoFileChecks());
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(std::string(invalid.status().message()), HasSubstr("model.backbone.depth"));
}

// The validator accepts exactly what model::ResNetImpl's constructor does (0..4), so a bad
// value fails at load, naming the field, instead of at model construction.
TEST(ConfigLoader, FrozenStagesRangeIsTheConstructors) {
  const std::string path = TempFile("frozen.pbtxt", "runtime { seed: 1 }\n");
  for (const char* ok : {"model.backbone.frozen_stages=0", "model.backbone.frozen_stages=4"}) {
    EXPECT_TRUE(LoadConfig(path, {ok}, NoFileChecks()).ok()) << ok;
  }
  for (const char* bad : {"model.backbone.frozen_stages=-1", "model.backbone.frozen_stages=5"}) {
    auto config = LoadConfig(path, {bad}, NoFileChecks());
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr("model.backbone.frozen_stages: must be in [0, 4]"));
  }
}

TEST(ConfigLoader, ProbabilitiesAreFractions) {
  const std::string path = TempFile("probabilities.pbtxt", "runtime { seed: 1 }\n");
  for (const char* field : {"data.mlm_prob", "data.itm_neg_prob", "data.itm_row_prob"}) {
    EXPECT_TRUE(LoadConfig(path, {std::string(field) + "=0.5"}, NoFileChecks()).ok()) << field;
    auto config = LoadConfig(path, {std::string(field) + "=1.5"}, NoFileChecks());
    ASSERT_FALSE(config.ok()) << field;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(field));
  }
}

TEST(ConfigLoader, OverridesAddressElementsOfRepeatedMessages) {
  proto::SohoConfig config;
  config.mutable_data()->add_train()->set_annotation("a.json");
  config.mutable_data()->add_train()->set_annotation("b.json");
  ASSERT_TRUE(ApplyOverrides(SplitOverrides("data.train[1].annotation=c.json,runtime.seed=2"), &config).ok());
  EXPECT_EQ(config.data().train(0).annotation(), "a.json");
  EXPECT_EQ(config.data().train(1).annotation(), "c.json");
  EXPECT_EQ(config.runtime().seed(), 2);
  // Out of range, on a singular field, or without an index: each error says how to write it.
  const auto message = [&](const std::string& override_text) {
    return std::string(ApplyOverrides({override_text}, &config).message());
  };
  EXPECT_THAT(message("data.train[2].annotation=x"), HasSubstr("2 element(s); address one as train[0]..train[1]"));
  EXPECT_THAT(message("data.train.annotation=x"), HasSubstr("address one as train[0]"));
  EXPECT_THAT(message("runtime[0].seed=1"), HasSubstr("an index selects an element of a repeated message"));
  EXPECT_THAT(message("data.train[x].annotation=y"), HasSubstr("is not a field name or name[index]"));
}

TEST(ConfigLoader, WrongFilesAreNamedAsSuch) {
  const char* dir = std::getenv("TEST_TMPDIR");
  EXPECT_THAT(std::string(LoadConfig(dir, {}, NoFileChecks()).status().message()), HasSubstr("is a directory"));
  EXPECT_THAT(std::string(LoadConfig(TempFile("empty.pbtxt", "# nothing\n"), {}, NoFileChecks()).status().message()),
              HasSubstr("the config sets no fields"));
  EXPECT_EQ(LoadConfig("/dev/zero", {}, NoFileChecks()).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ConfigLoader, MissingClosingBraceNamesWhereTheBlockOpened) {
  const std::string path = TempFile("brace.pbtxt",
                                    "model {\n  backbone { depth: 18\n}\n# a } in a comment\n"
                                    "data { vocab_file: \"{\" }\n");
  auto config = LoadConfig(path, {}, NoFileChecks());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(path + ":1:7: this '{' is never closed"));
  auto extra = ParseConfigText("runtime { seed: 1 } }\n", "extra.pbtxt");
  EXPECT_THAT(std::string(extra.status().message()), HasSubstr("extra.pbtxt:1:21: '}' closes no open block"));
}

TEST(ConfigLoader, PrintedConfigIsFullyResolvedAndReparses) {
  auto config = LoadConfig("configs/tiny/pretrain.pbtxt", {}, NoFileChecks());
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string text = ConfigToText(*config);
  EXPECT_THAT(text, HasSubstr("max_decay: 0.99"));  // a default nobody wrote
  auto reparsed = ParseConfigText(text, "printed");
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(reparsed->SerializeAsString(), config->SerializeAsString());
}

}  // namespace
}  // namespace soho::proto
