#pragma once
// A picture of the Visual Dictionary: for the most used entries, PNG sheets of the image
// patches (grid cells) whose features map to each entry, the figure the SOHO paper uses to
// show that entries capture semantics. OpenCV draws (soho/model stays free of it).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "absl/status/statusor.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"

namespace soho::eval {

// The dictionary entry of every grid cell of a batch: the front of the pre-training neck
// (2x2 max-pool of C5, 1x1 conv + BN, nearest entry), in eval mode, without gradient.
struct DictionaryCells {
  at::Tensor entries;  // [B, h, w] int64, on the CPU
  at::Tensor valid;    // [B, h, w] bool: the cell lies inside the image (the neck's grid mask)
  // Cell (i, j) pools input rows [i * cell_h, (i + 1) * cell_h), columns alike (its
  // receptive field is wider): 64 pixels for ResNet's C5 stride of 32, pooled 2x2.
  int64_t cell_h = 0;
  int64_t cell_w = 0;
};
DictionaryCells MapCellsToDictionary(model::SohoPretrainModel& model, const ImageBatch& images);

struct SheetLayout {
  int tile = 64;     // each patch is resized to tile x tile pixels
  int columns = 8;   // patches per row
  int gap = 2;       // pixels between tiles and around them
  int header = 20;   // pixels above the tiles for the caption
};

// Pixel size of a sheet of `num_patches` patches: width columns*tile + (columns+1)*gap,
// height header + rows*tile + (rows+1)*gap with rows = max(1, ceil(num_patches / columns)).
cv::Size EntrySheetSize(int num_patches, const SheetLayout& layout);

// A sheet for one entry: caption "entry <entry>: <uses> cells", then the patches (8-bit BGR,
// any size) resized to tiles, row by row.
cv::Mat DrawEntrySheet(int entry, int64_t uses, const std::vector<cv::Mat>& patches, const SheetLayout& layout);

struct DictionaryVisualizationOptions {
  std::string output_dir;
  int num_images = 200;        // the first N images of the pre-training val split
  int num_entries = 16;        // sheets for this many of the most used entries
  int patches_per_entry = 32;  // at most one patch per image and entry, in image order
  int batch_size = 8;          // images per forward pass
  SheetLayout layout;
};

struct DictionaryVisualizationReport {
  int64_t images = 0;
  int64_t skipped_images = 0;  // unreadable, left out
  int64_t cells = 0;           // valid cells seen
  int64_t used_entries = 0;    // entries that at least one cell maps to
  struct Entry {
    int entry = 0;
    int64_t cells = 0;
    int64_t images = 0;  // images with at least one such cell
    std::string file;
  };
  std::vector<Entry> entries;  // most used first
};

// Maps every cell of the images to its entry, ranks entries by use, writes one PNG per
// top entry (<output_dir>/entry_<rank>_<id>.png) and <output_dir>/dictionary_usage.json.
// Errors: options out of range, no val split, unreadable annotation files, no readable
// image, unwritable output.
absl::StatusOr<DictionaryVisualizationReport> VisualizeDictionary(model::SohoPretrainModel& model,
                                                                  const proto::DataConfig& data,
                                                                  const DictionaryVisualizationOptions& options);

}  // namespace soho::eval
