#include "soho/data/prepare/coco_captions.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_fields.h"
#include "soho/data/annotations/json_file.h"

namespace soho::data {
using nlohmann::json;

std::string TrimCaption(const std::string& caption) {
  return std::string(absl::StripAsciiWhitespace(caption));
}

absl::StatusOr<std::vector<PretrainImage>> ConvertCocoCaptions(const json& root,
                                                               const std::string& path,
                                                               ConversionSummary* summary) {
  SOHO_ASSIGN_OR_RETURN(const json* images, RequireListField(root, "images", path));
  SOHO_ASSIGN_OR_RETURN(const json* annotations, RequireListField(root, "annotations", path));

  summary->Count("images", 0);  // fixes the order of the counters in the summary
  summary->Count("captions", 0);
  std::vector<PretrainImage> result;
  absl::flat_hash_map<int64_t, size_t> index_of_id;
  for (size_t i = 0; i < images->size(); ++i) {
    const json& entry = (*images)[i];
    PretrainImage image;
    absl::Status s = GetField(entry, "id", &image.image_id);
    if (s.ok()) s = GetField(entry, "file_name", &image.file_name);
    if (s.ok()) s = GetField(entry, "height", &image.height);
    if (s.ok()) s = GetField(entry, "width", &image.width);
    if (!s.ok()) {
      summary->Skip("malformed image entry", absl::StrCat(path, " images[", i, "]: ", s.message()));
      continue;
    }
    if (!summary->KeepImageSize(image.height, image.width, absl::StrCat(path, " images[", i, "]"))) continue;
    if (!index_of_id.emplace(image.image_id, result.size()).second) {
      summary->Skip("duplicate image id", absl::StrCat(path, " images[", i, "] id ", image.image_id));
      continue;
    }
    result.push_back(std::move(image));
  }

  for (size_t i = 0; i < annotations->size(); ++i) {
    const json& entry = (*annotations)[i];
    int64_t image_id = 0;
    std::string caption;
    absl::Status s = GetField(entry, "image_id", &image_id);
    if (s.ok()) s = GetField(entry, "caption", &caption);
    if (!s.ok()) {
      summary->Skip("malformed caption entry",
                    absl::StrCat(path, " annotations[", i, "]: ", s.message()));
      continue;
    }
    const auto it = index_of_id.find(image_id);
    if (it == index_of_id.end()) {
      summary->Skip("caption of an unknown image",
                    absl::StrCat(path, " annotations[", i, "] image_id ", image_id));
      continue;
    }
    caption = TrimCaption(caption);
    if (!summary->KeepText(caption, "caption", absl::StrCat(path, " annotations[", i, "]"))) continue;
    result[it->second].captions.push_back(std::move(caption));
    summary->Count("captions");
  }

  std::vector<PretrainImage> with_captions;
  with_captions.reserve(result.size());
  for (PretrainImage& image : result) {
    if (image.captions.empty()) {
      summary->Skip("image without captions", absl::StrCat(path, " image ", image.image_id, " (",
                                                           image.file_name, ")"));
      continue;
    }
    with_captions.push_back(std::move(image));
  }
  summary->Count("images", static_cast<int64_t>(with_captions.size()));
  return with_captions;
}

absl::StatusOr<ImageSizes> ReadCocoImageSizes(const json& root, const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const json* images, RequireListField(root, "images", path));
  ImageSizes sizes;
  for (size_t i = 0; i < images->size(); ++i) {
    int64_t id = 0;
    ImageSize size;
    absl::Status s = GetField((*images)[i], "id", &id);
    if (s.ok()) s = GetField((*images)[i], "height", &size.height);
    if (s.ok()) s = GetField((*images)[i], "width", &size.width);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": images[", i, "]: ", s.message()));
    }
    sizes[id] = size;
  }
  return sizes;
}

}  // namespace soho::data
