#include "soho/data/image/image_sources.h"

#include "soho/common/status_macros.h"

namespace soho::data {

absl::StatusOr<std::unique_ptr<ImageSources>> ImageSources::Open(const std::vector<std::string>& image_roots,
                                                                 const proto::ImageConfig& config, bool training) {
  SOHO_ASSIGN_OR_RETURN(ImagePipeline pipeline, ImagePipeline::Create(config, training));
  std::vector<std::unique_ptr<ImageStore>> stores;
  for (const std::string& root : image_roots) {
    SOHO_ASSIGN_OR_RETURN(std::unique_ptr<ImageStore> store, ImageStore::Open(root));
    stores.push_back(std::move(store));
  }
  ConfigureProcessForImageLoading();
  return std::unique_ptr<ImageSources>(new ImageSources(std::move(stores), std::move(pipeline)));
}

}  // namespace soho::data
