#include "soho/data/annotations/pretrain_annotation.h"

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_fields.h"
#include "soho/data/annotations/json_file.h"

namespace soho::data {
namespace {

using nlohmann::json;

absl::Status ParseImage(const json& entry, PretrainImage* image) {
  SOHO_RETURN_IF_ERROR(GetField(entry, "file_name", &image->file_name));
  SOHO_RETURN_IF_ERROR(GetField(entry, "image_id", &image->image_id));
  SOHO_RETURN_IF_ERROR(GetField(entry, "height", &image->height));
  SOHO_RETURN_IF_ERROR(GetField(entry, "width", &image->width));
  SOHO_RETURN_IF_ERROR(GetField(entry, "captions", &image->captions));
  SOHO_RETURN_IF_ERROR(GetOptionalField(entry, "labels", &image->labels));
  if (image->file_name.empty()) return absl::InvalidArgumentError("empty 'file_name'");
  if (image->height < 0 || image->width < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("negative size ", image->height, "x", image->width));
  }
  if (image->captions.empty()) return absl::InvalidArgumentError("no captions");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PretrainAnnotations> PretrainAnnotationsFromJson(const json& root,
                                                                const std::string& path) {
  if (!root.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": expected a JSON list of images (pre-training annotations), got ",
        JsonTypeName(root)));
  }
  PretrainAnnotations result;
  result.images.reserve(root.size());
  for (size_t i = 0; i < root.size(); ++i) {
    ++result.entries.seen;
    PretrainImage image;
    if (absl::Status s = ParseImage(root[i], &image); !s.ok()) {
      ++result.entries.skipped;
      LOG(WARNING) << path << ": skipping entry " << i
                   << (image.file_name.empty() ? "" : absl::StrCat(" (", image.file_name, ")"))
                   << ": " << s.message();
      continue;
    }
    result.images.push_back(std::move(image));
  }
  return result;
}

absl::StatusOr<PretrainAnnotations> ReadPretrainAnnotations(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const json root, ReadJsonFile(path));
  return PretrainAnnotationsFromJson(root, path);
}

json PretrainAnnotationsToJson(const std::vector<PretrainImage>& images) {
  json root = json::array();
  for (const PretrainImage& image : images) {
    root.push_back({{"file_name", image.file_name},
                    {"image_id", image.image_id},
                    {"height", image.height},
                    {"width", image.width},
                    {"captions", image.captions},
                    {"labels", image.labels}});
  }
  return root;
}

absl::Status WritePretrainAnnotations(const std::string& path,
                                      const std::vector<PretrainImage>& images) {
  return WriteJsonFile(path, PretrainAnnotationsToJson(images));
}

}  // namespace soho::data
