#include "soho/eval/test_world.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "soho/common/file_util.h"
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

proto::SohoConfig BaseConfig(proto::NeckConfig::Kind kind, int vocab_size) {
  proto::SohoConfig config;
  *config.mutable_model() = model::TinyModelConfig(kind);
  config.mutable_model()->mutable_transformer()->set_vocab_size(vocab_size);
  config.mutable_model()->mutable_head()->set_kind(kind == proto::NeckConfig::VQA ? proto::HeadConfig::VQA
                                                                                    : proto::HeadConfig::PRETRAIN);
  proto::DataConfig* data = config.mutable_data();
  proto::ImageScale* scale = data->mutable_image()->mutable_test_scale();
  scale->set_long_edge(64);
  scale->set_short_edge(48);
  data->set_max_text_length(12);
  data->set_sentence_group(2);
  data->set_eval_batch_size(4);
  data->set_num_workers(0);
  ResolveDefaults(&config);
  return config;
}

}  // namespace

TestWorld MakeTestWorld(const std::string& name, int eval_images) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  TestWorld world;
  world.dir = std::string(tmp ? tmp : "/tmp") + "/" + name;
  data::SyntheticWorldOptions options;
  options.out_dir = world.dir;
  options.num_images = 4;
  options.num_eval_images = eval_images;
  options.questions_per_image = 3;
  options.captions_per_image = 5;
  options.num_threads = 1;
  options.seed = 3;
  if (!PathExists(world.dir + "/vocab.txt")) {
    const auto report = data::GenerateSyntheticWorld(options);
    EXPECT_TRUE(report.ok()) << report.status();
  }
  const auto tokenizer = data::BertTokenizer::Create(world.dir + "/vocab.txt");
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  const int vocab_size = (*tokenizer)->vocab_size();

  world.vqa = BaseConfig(proto::NeckConfig::VQA, vocab_size);
  const auto answers = data::ReadVqaAnnotations(world.dir + "/vqa_train.json");
  EXPECT_TRUE(answers.ok()) << answers.status();
  world.vqa.mutable_model()->mutable_head()->set_num_answers(answers->answers.size());
  proto::DataConfig* vqa = world.vqa.mutable_data();
  vqa->set_vocab_file(world.dir + "/vocab.txt");
  *vqa->add_train() = Source(world.dir, "vqa_train.json");
  proto::DataSource* val = vqa->add_val();
  *val = Source(world.dir, "vqa_val.json");
  val->set_official_questions(world.dir + "/raw/v2_OpenEnded_synthetic_val_questions.json");
  val->set_official_annotations(world.dir + "/raw/v2_synthetic_val_annotations.json");
  *vqa->add_test() = Source(world.dir, "vqa_test.json");

  world.pretrain = BaseConfig(proto::NeckConfig::PRETRAIN_GATE, vocab_size);
  proto::DataConfig* pretrain = world.pretrain.mutable_data();
  pretrain->set_vocab_file(world.dir + "/vocab.txt");
  *pretrain->add_train() = Source(world.dir, "pretrain_train.json");
  *pretrain->add_val() = Source(world.dir, "pretrain_val.json");
  for (const proto::SohoConfig* config : {&world.vqa, &world.pretrain}) {
    const absl::Status valid = ValidateConfig(*config);
    EXPECT_TRUE(valid.ok()) << valid;
  }
  return world;
}

}  // namespace soho::eval
