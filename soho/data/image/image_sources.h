#pragma once
// The images behind a dataset made of one or more annotation sources: one ImageStore per
// image root (folder or zip) and one ImagePipeline. Thread-safe.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/image/image_store.h"
#include "soho/data/rng.h"
#include "soho/proto/config.pb.h"

namespace soho::data {

class ImageSources {
 public:
  // Opens every root (errors name the root) and builds the pipeline (training scales when
  // `training`). Also applies ConfigureProcessForImageLoading().
  static absl::StatusOr<std::unique_ptr<ImageSources>> Open(const std::vector<std::string>& image_roots,
                                                            const proto::ImageConfig& config, bool training);

  // Read, decode, check and resize `file_name` of source `source`.
  absl::StatusOr<cv::Mat> Load(int source, const std::string& file_name, Rng* rng) const {
    return pipeline_.Load(*stores_.at(source), file_name, rng);
  }

  const ImagePipeline& pipeline() const { return pipeline_; }

 private:
  ImageSources(std::vector<std::unique_ptr<ImageStore>> stores, ImagePipeline pipeline)
      : stores_(std::move(stores)), pipeline_(std::move(pipeline)) {}

  std::vector<std::unique_ptr<ImageStore>> stores_;
  ImagePipeline pipeline_;
};

}  // namespace soho::data
