#pragma once
// The first images of a config's pre-training val split, in file order, with the image roots
// to open them from: what retrieval and the dictionary picture run over.
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/proto/config.pb.h"

namespace soho::eval {

struct ValImage {
  int source = 0;  // index into data.val (and ValImages::roots)
  std::string file_name;
  std::vector<std::string> captions;
};

struct ValImages {
  std::vector<std::string> roots;  // data.val[i].image_root
  std::vector<ValImage> images;
};

// Up to `max_images` images; reads only as many annotation files as it needs. An empty
// data.val is an error that says which `use` needs it.
absl::StatusOr<ValImages> FirstValImages(const proto::DataConfig& data, int max_images, const std::string& use);

}  // namespace soho::eval
