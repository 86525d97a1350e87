// Writes a tiny synthetic world, configs for tiny models on it (vqa.pbtxt, pretrain.pbtxt)
// and random checkpoints of those models (vqa.pth, pretrain.pth) into a folder: the inputs
// of the eval CLI test (tools/eval_test.sh).
#include <iostream>

#include <torch/utils.h>

#include "soho/common/file_util.h"
#include "soho/eval/test_world.h"
#include "soho/model/soho_model.h"
#include "soho/model/weights.h"
#include "soho/proto/config_loader.h"

namespace {

absl::Status Make(const std::string& dir) {
  absl::StatusOr<soho::eval::TestWorld> world = soho::eval::MakeTestWorld(dir);
  if (!world.ok()) return world.status();
  if (absl::Status s = soho::WriteFileAtomically(dir + "/vqa.pbtxt", soho::proto::ConfigToText(world->vqa)); !s.ok()) return s;
  if (absl::Status s = soho::WriteFileAtomically(dir + "/pretrain.pbtxt", soho::proto::ConfigToText(world->pretrain)); !s.ok()) {
    return s;
  }
  torch::manual_seed(1);
  soho::model::SohoVqaModel vqa(world->vqa.model());
  if (absl::Status s = soho::model::SaveStateDict(soho::model::CollectStateDict(*vqa), dir + "/vqa.pth"); !s.ok()) return s;
  soho::model::SohoPretrainModel pretrain(world->pretrain.model());
  return soho::model::SaveStateDict(soho::model::CollectStateDict(*pretrain, pretrain->tied_weights()),
                                    dir + "/pretrain.pth");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_test_world <folder>\n";
    return 2;
  }
  const absl::Status status = Make(argv[1]);
  if (!status.ok()) std::cerr << "make_test_world: " << status << "\n";
  return status.ok() ? 0 : 1;
}
