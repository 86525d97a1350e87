#include "soho/data/image/decode.h"

#include <csetjmp>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <utility>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

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

uint32_t BigEndian32(absl::string_view bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// (width, height) from a PNG's IHDR chunk, which the format puts first.
std::optional<std::pair<int64_t, int64_t>> PngSize(absl::string_view bytes) {
  if (bytes.size() < 24 || bytes.substr(0, 8) != absl::string_view("\x89PNG\r\n\x1a\n", 8) ||
      bytes.substr(12, 4) != "IHDR") {
    return std::nullopt;
  }
  return std::pair<int64_t, int64_t>{BigEndian32(bytes, 16), BigEndian32(bytes, 20)};
}

absl::Status CheckPixels(const std::string& name, int64_t width, int64_t height, int64_t max_pixels) {
  if (width * height <= max_pixels) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(name, ": image is ", width, "x", height, " pixels, more than ",
                                                   max_pixels, " (data.image.max_pixels)"));
}

// libjpeg reports through these hooks: errors jump back to the caller, and warnings
// (corrupt data libjpeg decodes around) are errors here too.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  std::string message;
};

void OnJpegError(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  char text[JMSG_LENGTH_MAX];
  info->err->format_message(info, text);
  errors->message = text;
  std::longjmp(errors->jump, 1);
}

void OnJpegMessage(j_common_ptr info, int level) {
  if (level < 0) OnJpegError(info);  // -1: a warning, i.e. corrupt data
}

// Reads the header (the pixel cap applies before anything is allocated for pixels), then
// runs the entropy decoder over the whole scan at 1/8 scale, which visits every coded
// block (where corruption shows) at a fraction of a full decode's cost.
absl::Status CheckJpeg(absl::string_view bytes, const std::string& name, int64_t max_pixels) {
  jpeg_decompress_struct info;
  JpegErrors errors;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = OnJpegError;
  errors.manager.emit_message = OnJpegMessage;
  absl::Status status;  // set only on paths that do not longjmp
  jpeg_create_decompress(&info);
  if (setjmp(errors.jump) == 0) {
    jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    jpeg_read_header(&info, TRUE);
    status = CheckPixels(name, info.image_width, info.image_height, max_pixels);
    if (status.ok()) {
      info.scale_num = 1;
      info.scale_denom = 8;
      info.dct_method = JDCT_IFAST;
      info.do_fancy_upsampling = FALSE;
      jpeg_start_decompress(&info);
      // From libjpeg's pool (freed by jpeg_destroy_decompress): nothing with a destructor
      // may live between setjmp and a longjmp.
      JSAMPARRAY rows = (*info.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&info), JPOOL_IMAGE,
                                                  info.output_width * info.output_components, 1);
      while (info.output_scanline < info.output_height) jpeg_read_scanlines(&info, rows, 1);
      jpeg_finish_decompress(&info);
    }
  } else {
    status = absl::DataLossError(absl::StrCat(name, ": corrupt JPEG (", errors.message, ")"));
  }
  jpeg_destroy_decompress(&info);
  return status;
}

}  // namespace

absl::StatusOr<cv::Mat> DecodeImageBgr(absl::string_view bytes, const std::string& name, int64_t max_pixels) {
  if (bytes.empty()) return absl::DataLossError(absl::StrCat(name, ": empty image file"));
  if (IsJpeg(bytes)) {
    if (!HasJpegEnd(bytes)) {
      return absl::DataLossError(absl::StrCat(name, ": truncated JPEG (no end-of-image marker)"));
    }
    if (absl::Status s = CheckJpeg(bytes, name, max_pixels); !s.ok()) return s;
  } else if (const auto png = PngSize(bytes)) {
    if (absl::Status s = CheckPixels(name, png->first, png->second, max_pixels); !s.ok()) return s;
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
  // Other formats have no header check here; OpenCV's own cap (2^30 pixels) bounds them.
  if (absl::Status s = CheckPixels(name, image.cols, image.rows, max_pixels); !s.ok()) return s;
  return image;
}

}  // namespace soho::data
