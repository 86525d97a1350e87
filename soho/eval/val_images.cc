#include "soho/eval/val_images.h"

#include "absl/strings/str_cat.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/pretrain_annotation.h"

namespace soho::eval {

absl::StatusOr<ValImages> FirstValImages(const proto::DataConfig& data, int max_images, const std::string& use) {
  if (data.val().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("data.val is empty: ", use, " uses the pre-training val split"));
  }
  ValImages out;
  for (int s = 0; s < data.val_size(); ++s) {
    out.roots.push_back(data.val(s).image_root());
    if (static_cast<int>(out.images.size()) >= max_images) continue;
    SOHO_ASSIGN_OR_RETURN(data::PretrainAnnotations annotations, data::ReadPretrainAnnotations(data.val(s).annotation()));
    for (data::PretrainImage& image : annotations.images) {
      if (static_cast<int>(out.images.size()) >= max_images) break;
      out.images.push_back({s, std::move(image.file_name), std::move(image.captions)});
    }
  }
  return out;
}

}  // namespace soho::eval
