#include "soho/eval/dictionary_visualization.h"

#include <algorithm>
#include <map>

#include <ATen/ATen.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "soho/common/file_util.h"
#include "soho/common/logging.h"
#include "soho/common/progress.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/image/image_sources.h"
#include "soho/data/rng.h"
#include "soho/eval/eval_mode.h"
#include "soho/eval/val_images.h"
#include "soho/model/grid_mask.h"

namespace soho::eval {
namespace {

// Where a patch of an entry was seen.
struct CellRef {
  int64_t image = 0;  // index into the list of candidate images
  cv::Rect pixels;    // in the resized image
};

struct EntryUse {
  int64_t cells = 0;
  int64_t images = 0;
  std::vector<CellRef> patches;
};

// The pixels that cell (row, col) pools, clipped to the resized image.
cv::Rect CellRect(int64_t row, int64_t col, const DictionaryCells& cells, const cv::Mat& image) {
  const int y0 = static_cast<int>(row * cells.cell_h), x0 = static_cast<int>(col * cells.cell_w);
  const int y1 = std::min(static_cast<int>((row + 1) * cells.cell_h), image.rows);
  const int x1 = std::min(static_cast<int>((col + 1) * cells.cell_w), image.cols);
  return cv::Rect(cv::Point(x0, y0), cv::Point(x1, y1));
}

absl::Status CheckOptions(const DictionaryVisualizationOptions& o) {
  if (o.output_dir.empty()) return absl::InvalidArgumentError("the dictionary picture needs an output folder");
  if (o.num_images < 1 || o.num_entries < 1 || o.patches_per_entry < 1 || o.batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dictionary picture: images (", o.num_images, "), entries (", o.num_entries, "), patches per entry (",
        o.patches_per_entry, ") and batch size (", o.batch_size, ") must be >= 1"));
  }
  const SheetLayout& l = o.layout;
  if (l.tile < 8 || l.columns < 1 || l.gap < 0 || l.header < 0) {
    return absl::InvalidArgumentError("dictionary picture: tile >= 8, columns >= 1, gap and header >= 0");
  }
  return absl::OkStatus();
}

}  // namespace

DictionaryCells MapCellsToDictionary(model::SohoPretrainModel& model, const ImageBatch& images) {
  ScopedEvalMode eval_mode(*model);
  at::NoGradGuard no_grad;
  const c10::Device device = DeviceOf(*model);
  const at::Tensor c5 = model->backbone->forward(images.images.to(device)).back();
  // The front of PretrainNeck::forward (the test checks the entries against the neck's MVM labels).
  const at::Tensor xq = model->neck->conv(at::max_pool2d(c5, {2, 2}, {2, 2}));
  const int64_t n = xq.size(0), c = xq.size(1), h = xq.size(2), w = xq.size(3);
  DictionaryCells cells;
  cells.entries = model->neck->vq(xq.permute({0, 2, 3, 1}).reshape({-1, c})).indices.view({n, h, w}).to(at::kCPU);
  const int64_t padded_h = images.images.size(2), padded_w = images.images.size(3);
  cells.valid = model::GridValidMask(images.valid_hw.to(at::kCPU), padded_h, padded_w, h, w);
  // The pooled grid's stride in input pixels: two C5 cells (64 for ResNet's stride 32).
  cells.cell_h = 2 * padded_h / c5.size(2);
  cells.cell_w = 2 * padded_w / c5.size(3);
  return cells;
}

cv::Size EntrySheetSize(int num_patches, const SheetLayout& layout) {
  const int rows = std::max(1, (num_patches + layout.columns - 1) / layout.columns);
  return cv::Size(layout.columns * layout.tile + (layout.columns + 1) * layout.gap,
                  layout.header + rows * layout.tile + (rows + 1) * layout.gap);
}

cv::Mat DrawEntrySheet(int entry, int64_t uses, const std::vector<cv::Mat>& patches, const SheetLayout& layout) {
  const cv::Size size = EntrySheetSize(static_cast<int>(patches.size()), layout);
  cv::Mat sheet(size, CV_8UC3, cv::Scalar(255, 255, 255));
  if (layout.header > 0) {
    const double scale = std::max(0.3, layout.header / 40.0);
    cv::putText(sheet, absl::StrCat("entry ", entry, ": ", uses, " cells"), cv::Point(layout.gap + 2, layout.header - 6),
                cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  for (size_t k = 0; k < patches.size(); ++k) {
    const int row = static_cast<int>(k) / layout.columns, col = static_cast<int>(k) % layout.columns;
    const cv::Rect tile(layout.gap + col * (layout.tile + layout.gap),
                        layout.header + layout.gap + row * (layout.tile + layout.gap), layout.tile, layout.tile);
    cv::resize(patches[k], sheet(tile), tile.size(), 0, 0, cv::INTER_AREA);
  }
  return sheet;
}

absl::StatusOr<DictionaryVisualizationReport> VisualizeDictionary(model::SohoPretrainModel& model,
                                                                  const proto::DataConfig& data,
                                                                  const DictionaryVisualizationOptions& options) {
  SOHO_RETURN_IF_ERROR(CheckOptions(options));
  SOHO_ASSIGN_OR_RETURN(ValImages val, FirstValImages(data, options.num_images, "the dictionary picture"));
  const std::vector<ValImage>& candidates = val.images;
  const std::vector<std::string>& roots = val.roots;
  SOHO_ASSIGN_OR_RETURN(std::unique_ptr<data::ImageSources> sources,
                        data::ImageSources::Open(roots, data.image(), /*training=*/false));
  data::Rng rng(0);  // the test scale draws nothing
  SOHO_RETURN_IF_ERROR(CreateDirectories(options.output_dir));

  // Pass 1: the entry of every valid cell; per entry its use and up to patches_per_entry
  // cells, at most one per image. Only references are kept, not pixels.
  DictionaryVisualizationReport report;
  std::map<int, EntryUse> uses;
  std::vector<int64_t> kept;  // candidate index of each readable image
  ProgressMeter progress("dictionary picture: mapping cells", static_cast<int64_t>(candidates.size()));
  for (size_t first = 0; first < candidates.size(); first += options.batch_size) {
    std::vector<cv::Mat> batch;
    std::vector<int64_t> batch_images;
    for (size_t i = first; i < std::min(candidates.size(), first + options.batch_size); ++i) {
      absl::StatusOr<cv::Mat> image = sources->Load(candidates[i].source, candidates[i].file_name, &rng);
      if (!image.ok()) {
        LOG(WARNING) << "dictionary picture: left out: " << image.status().message();
        ++report.skipped_images;
        continue;
      }
      batch.push_back(*std::move(image));
      batch_images.push_back(static_cast<int64_t>(i));
    }
    if (!batch.empty()) {
      const DictionaryCells cells = MapCellsToDictionary(model, sources->pipeline().Collate(batch));
      const auto entries = cells.entries.accessor<int64_t, 3>();
      const auto valid = cells.valid.accessor<bool, 3>();
      for (size_t b = 0; b < batch.size(); ++b) {
        for (int64_t r = 0; r < entries.size(1); ++r) {
          for (int64_t c = 0; c < entries.size(2); ++c) {
            if (!valid[b][r][c]) continue;
            EntryUse& use = uses[static_cast<int>(entries[b][r][c])];
            ++use.cells;
            const bool new_image = use.patches.empty() || use.patches.back().image != batch_images[b];
            if (new_image) ++use.images;
            if (new_image && static_cast<int>(use.patches.size()) < options.patches_per_entry) {
              use.patches.push_back({batch_images[b], CellRect(r, c, cells, batch[b])});
            }
            ++report.cells;
          }
        }
        kept.push_back(batch_images[b]);
      }
    }
    progress.Update(static_cast<int64_t>(std::min(candidates.size(), first + options.batch_size)));
  }
  progress.Finish();
  report.images = static_cast<int64_t>(kept.size());
  if (kept.empty()) return absl::InvalidArgumentError("dictionary picture: none of the val images could be read");
  report.used_entries = static_cast<int64_t>(uses.size());

  std::vector<std::pair<int, const EntryUse*>> ranked;
  for (const auto& [entry, use] : uses) ranked.emplace_back(entry, &use);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second->cells > b.second->cells; });
  ranked.resize(std::min<size_t>(ranked.size(), static_cast<size_t>(options.num_entries)));

  // Pass 2: crop the chosen patches, each image decoded once.
  std::map<int64_t, std::vector<std::pair<size_t, size_t>>> wanted;  // image -> (rank, patch)
  for (size_t k = 0; k < ranked.size(); ++k) {
    for (size_t p = 0; p < ranked[k].second->patches.size(); ++p) wanted[ranked[k].second->patches[p].image].emplace_back(k, p);
  }
  std::vector<std::vector<cv::Mat>> patches(ranked.size());
  for (size_t k = 0; k < ranked.size(); ++k) patches[k].resize(ranked[k].second->patches.size());
  for (const auto& [image_index, slots] : wanted) {
    SOHO_ASSIGN_OR_RETURN(const cv::Mat image,
                          sources->Load(candidates[image_index].source, candidates[image_index].file_name, &rng));
    for (const auto& [k, p] : slots) patches[k][p] = image(ranked[k].second->patches[p].pixels).clone();
  }

  nlohmann::json entries_json = nlohmann::json::array();
  for (size_t k = 0; k < ranked.size(); ++k) {
    const auto& [entry, use] = ranked[k];
    const std::string name = absl::StrFormat("entry_%02d_%d.png", k + 1, entry);
    const std::string path = absl::StrCat(options.output_dir, "/", name);
    std::vector<uint8_t> png;
    if (!cv::imencode(".png", DrawEntrySheet(entry, use->cells, patches[k], options.layout), png)) {
      return absl::InternalError(absl::StrCat(path, ": PNG encoding failed"));
    }
    SOHO_RETURN_IF_ERROR(WriteFileAtomically(path, std::string(png.begin(), png.end())));
    report.entries.push_back({entry, use->cells, use->images, path});
    entries_json.push_back({{"rank", k + 1}, {"entry", entry}, {"cells", use->cells}, {"images", use->images},
                            {"file", name}});
  }
  SOHO_RETURN_IF_ERROR(data::WriteJsonFile(absl::StrCat(options.output_dir, "/dictionary_usage.json"),
                                           {{"images", report.images},
                                            {"skipped_images", report.skipped_images},
                                            {"cells", report.cells},
                                            {"used_entries", report.used_entries},
                                            {"dict_size", model->neck->vq->embed.size(0)},
                                            {"entries", entries_json}}));
  return report;
}

}  // namespace soho::eval
