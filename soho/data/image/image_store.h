#pragma once
// Where a dataset's images live: a folder, or a .zip archive (the reference ships COCO and
// Visual Genome as zips). Reads are thread-safe, so loader workers share one store.
//
//   SOHO_ASSIGN_OR_RETURN(auto store, ImageStore::Open(source.image_root()));
//   SOHO_ASSIGN_OR_RETURN(std::string bytes, store->Read("train2014/xyz.jpg"));
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace soho::data {

class ImageStore {
 public:
  virtual ~ImageStore() = default;

  // A folder store when `root` is a directory, a zip store when it is a file ending in
  // ".zip" (case-insensitive); anything else is an error naming `root`.
  static absl::StatusOr<std::unique_ptr<ImageStore>> Open(const std::string& root);

  // The encoded bytes of `file_name` (relative to the root). NotFound names the file and
  // the root.
  virtual absl::StatusOr<std::string> Read(const std::string& file_name) const = 0;

  // Human-readable location of `file_name`, for messages: "root/file" or "root.zip@file".
  virtual std::string Describe(const std::string& file_name) const = 0;
};

}  // namespace soho::data
