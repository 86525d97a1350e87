#include "soho/data/prepare/visual_genome.h"

#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "soho/data/annotations/json_fields.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/prepare/coco_captions.h"

namespace soho::data {
namespace {

using nlohmann::json;

// VG 1.0 names the image id "id", VG 1.2 "image_id".
absl::Status GetImageId(const json& entry, int64_t* id) {
  if (entry.is_object() && entry.contains("image_id")) return GetField(entry, "image_id", id);
  return GetField(entry, "id", id);
}

std::string FileNameFromUrl(const std::string& url, int64_t image_id) {
  const size_t last = url.rfind('/');
  if (last != std::string::npos && last > 0 && last + 1 < url.size()) {
    const size_t folder = url.rfind('/', last - 1);
    if (folder != std::string::npos) return url.substr(folder + 1);
  }
  return absl::StrCat(image_id, ".jpg");
}

}  // namespace

absl::StatusOr<std::vector<PretrainImage>> ConvertVisualGenome(const json& regions,
                                                               const std::string& regions_path,
                                                               const json& image_data,
                                                               const std::string& image_data_path,
                                                               ConversionSummary* summary) {
  if (absl::Status s = RequireList(regions, regions_path); !s.ok()) return s;
  if (absl::Status s = RequireList(image_data, image_data_path); !s.ok()) return s;
  summary->Count("images", 0);
  summary->Count("captions", 0);

  absl::flat_hash_map<int64_t, PretrainImage> known;
  for (size_t i = 0; i < image_data.size(); ++i) {
    const json& entry = image_data[i];
    PretrainImage image;
    std::string url;
    absl::Status s = GetImageId(entry, &image.image_id);
    if (s.ok()) s = GetField(entry, "height", &image.height);
    if (s.ok()) s = GetField(entry, "width", &image.width);
    if (s.ok()) s = GetOptionalField(entry, "url", &url);
    if (!s.ok()) {
      summary->Skip("malformed image_data entry",
                    absl::StrCat(image_data_path, " [", i, "]: ", s.message()));
      continue;
    }
    if (!summary->KeepImageSize(image.height, image.width, absl::StrCat(image_data_path, " [", i, "]"))) continue;
    image.file_name = FileNameFromUrl(url, image.image_id);
    if (known.contains(image.image_id)) {
      summary->Skip("duplicate image id", absl::StrCat(image_data_path, " [", i, "] image ", image.image_id));
      continue;
    }
    known[image.image_id] = std::move(image);
  }

  std::vector<PretrainImage> result;
  for (size_t i = 0; i < regions.size(); ++i) {
    const json& entry = regions[i];
    int64_t image_id = 0;
    absl::Status s = GetImageId(entry, &image_id);
    if (s.ok() && !(entry.contains("regions") && entry["regions"].is_array())) {
      s = absl::InvalidArgumentError("missing list field 'regions'");
    }
    if (!s.ok()) {
      summary->Skip("malformed region entry", absl::StrCat(regions_path, " [", i, "]: ", s.message()));
      continue;
    }
    const auto it = known.find(image_id);
    if (it == known.end()) {
      summary->Skip("regions of an image missing from image_data",
                    absl::StrCat(regions_path, " [", i, "] image ", image_id));
      continue;
    }
    PretrainImage image = it->second;
    std::unordered_set<std::string> seen;
    const json& list = entry["regions"];
    for (size_t r = 0; r < list.size(); ++r) {
      std::string phrase;
      if (absl::Status ps = GetField(list[r], "phrase", &phrase); !ps.ok()) {
        summary->Skip("malformed region",
                      absl::StrCat(regions_path, " [", i, "].regions[", r, "]: ", ps.message()));
        continue;
      }
      phrase = TrimCaption(phrase);
      if (!summary->KeepText(phrase, "phrase", absl::StrCat(regions_path, " [", i, "].regions[", r, "]"))) continue;
      if (!seen.insert(phrase).second) {
        summary->Skip("repeated phrase", absl::StrCat(regions_path, " [", i, "].regions[", r,
                                                      "] \"", phrase, "\""));
        continue;
      }
      image.captions.push_back(std::move(phrase));
    }
    if (image.captions.empty()) {
      summary->Skip("image without phrases", absl::StrCat(regions_path, " [", i, "] image ", image_id));
      continue;
    }
    summary->Count("captions", static_cast<int64_t>(image.captions.size()));
    result.push_back(std::move(image));
  }
  summary->Count("images", static_cast<int64_t>(result.size()));
  return result;
}

}  // namespace soho::data
