#pragma once
// A SOHO model config small enough for unit tests: 32-wide, one transformer layer,
// an 8-entry dictionary, a 40-token vocabulary and 6 answers (test-only).
#include "soho/proto/config.pb.h"

namespace soho::model {

inline proto::ModelConfig TinyModelConfig(proto::NeckConfig::Kind neck_kind) {
  proto::ModelConfig config;
  config.mutable_neck()->set_kind(neck_kind);
  config.mutable_neck()->set_out_channels(32);
  config.mutable_neck()->set_dict_size(8);
  proto::TransformerConfig* transformer = config.mutable_transformer();
  transformer->set_num_layers(1);
  transformer->set_hidden_size(32);
  transformer->set_num_heads(4);
  transformer->set_intermediate_size(64);
  transformer->set_vocab_size(40);
  transformer->set_max_position_embeddings(16);
  config.mutable_head()->set_num_answers(6);
  config.mutable_head()->set_vqa_hidden_size(48);
  return config;
}

}  // namespace soho::model
