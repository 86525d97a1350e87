#include "soho/data/image/decode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "absl/strings/str_cat.h"

namespace soho::data {
namespace {

bool IsJpeg(absl::string_view bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF;
}

// A complete JPEG ends with the EOI marker FF D9. Writers may append padding or trailer
// data, so look for it within the last kilobyte rather than at the very end.
bool HasJpegEnd(absl::string_view bytes) {
  const size_t window = std::min<size_t>(bytes.size(), 1024);
  const absl::string_view tail = bytes.substr(bytes.size() - window);
  return tail.rfind("\xFF\xD9") != absl::string_view::npos;
}

}  // namespace

absl::StatusOr<cv::Mat> DecodeImageBgr(absl::string_view bytes, const std::string& name) {
  if (bytes.empty()) return absl::DataLossError(absl::StrCat(name, ": empty image file"));
  if (IsJpeg(bytes) && !HasJpegEnd(bytes)) {
    return absl::DataLossError(absl::StrCat(name, ": truncated JPEG (no end-of-image marker)"));
  }
  cv::Mat image;
  try {
    // imdecode only reads the buffer; the const_cast wraps it without a copy.
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    image = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat(name, ": cannot decode image (", e.what(), ")"));
  }
  if (image.empty()) {
    return absl::DataLossError(absl::StrCat(name, ": cannot decode image (corrupt or unknown format, ",
                                            bytes.size(), " bytes)"));
  }
  return image;
}

}  // namespace soho::data
