#pragma once
// Test fixture: a tiny synthetic world on disk and run configs for tiny models on it, so the
// evaluators (and the eval CLI, through make_test_world) run end to end on real files in
// seconds on a CPU.
#include <string>

#include "absl/status/statusor.h"
#include "soho/proto/config.pb.h"

namespace soho::eval {

struct TestWorld {
  std::string dir;
  proto::SohoConfig vqa;       // VQA neck + head; data: vqa_{train,val,test}.json, val linked to raw/ files
  proto::SohoConfig pretrain;  // PRETRAIN_GATE neck; data: pretrain_{train,val}.json
};

// Generates (unless `dir` already holds one) 4 training and `eval_images` val/test images
// with 3 questions and 5 captions each, and configs whose tiny models
// (soho/model/tiny_model_config.h) match its vocabulary and answers. Test scale 64 x 48.
absl::StatusOr<TestWorld> MakeTestWorld(const std::string& dir, int eval_images = 3);

// $TEST_TMPDIR/<name> (/tmp/<name> outside Bazel).
std::string TestTempDir(const std::string& name);

}  // namespace soho::eval
