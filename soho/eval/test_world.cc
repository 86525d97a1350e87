#include "soho/eval/test_world.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/prepare/synthetic_world.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/model/tiny_model_config.h"
#include "soho/proto/config_loader.h"

namespace soho::eval {
namespace {

proto::DataSource Source(const std::string& dir, const std::string& annotation) {
  proto::DataSource source;
  source.set_annotation(dir + "/" + annotation);
  source.set_image_root(dir + "/images");
  return source;
}

proto::SohoConfig BaseConfig(proto::NeckConfig::Kind kind, int vocab_size, const std::string& dir) {
  proto::SohoConfig config;
  *config.mutable_model() = model::TinyModelConfig(kind);
  config.mutable_model()->mutable_transformer()->set_vocab_size(vocab_size);
  config.mutable_model()->mutable_head()->set_kind(kind == proto::NeckConfig::VQA ? proto::HeadConfig::VQA
                                                                                    : proto::HeadConfig::PRETRAIN);
  proto::DataConfig* data = config.mutable_data();
  data->set_vocab_file(dir + "/vocab.txt");
  proto::ImageScale* scale = data->mutable_image()->mutable_test_scale();
  scale->set_long_edge(64);
  scale->set_short_edge(48);
  data->set_max_text_length(12);
  data->set_sentence_group(2);
  data->set_eval_batch_size(4);
  data->set_num_workers(0);
  config.mutable_runtime()->set_work_dir(dir + "/work");
  proto::ResolveDefaults(&config);
  return config;
}

}  // namespace

std::string TestTempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(tmp ? tmp : "/tmp", "/", name);
}

absl::StatusOr<TestWorld> MakeTestWorld(const std::string& dir, int eval_images) {
  TestWorld world;
  world.dir = dir;
  if (!PathExists(dir + "/vocab.txt")) {
    data::SyntheticWorldOptions options;
    options.out_dir = dir;
    options.num_images = 4;
    options.num_eval_images = eval_images;
    options.questions_per_image = 3;
    options.captions_per_image = 5;
    options.num_threads = 1;
    options.seed = 3;
    SOHO_RETURN_IF_ERROR(data::GenerateSyntheticWorld(options).status());
  }
  SOHO_ASSIGN_OR_RETURN(const auto tokenizer, data::BertTokenizer::Create(dir + "/vocab.txt"));
  SOHO_ASSIGN_OR_RETURN(const data::VqaAnnotations train, data::ReadVqaAnnotations(dir + "/vqa_train.json"));

  world.vqa = BaseConfig(proto::NeckConfig::VQA, tokenizer->vocab_size(), dir);
  world.vqa.mutable_model()->mutable_head()->set_num_answers(train.answers.size());
  proto::DataConfig* vqa = world.vqa.mutable_data();
  *vqa->add_train() = Source(dir, "vqa_train.json");
  proto::DataSource* val = vqa->add_val();
  *val = Source(dir, "vqa_val.json");
  val->set_official_questions(dir + "/raw/v2_OpenEnded_synthetic_val_questions.json");
  val->set_official_annotations(dir + "/raw/v2_synthetic_val_annotations.json");
  *vqa->add_test() = Source(dir, "vqa_test.json");

  world.pretrain = BaseConfig(proto::NeckConfig::PRETRAIN_GATE, tokenizer->vocab_size(), dir);
  proto::DataConfig* pretrain = world.pretrain.mutable_data();
  *pretrain->add_train() = Source(dir, "pretrain_train.json");
  *pretrain->add_val() = Source(dir, "pretrain_val.json");
  for (const proto::SohoConfig* config : {&world.vqa, &world.pretrain}) SOHO_RETURN_IF_ERROR(proto::ValidateConfig(*config));
  return world;
}

}  // namespace soho::eval
