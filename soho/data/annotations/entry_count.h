#pragma once
// How many entries of an annotation file were read and how many were skipped as malformed,
// so a dataset can stop a run when the skipped fraction exceeds its configured limit.
#include <cstdint>

namespace soho::data {

struct EntryCount {
  int64_t seen = 0;     // entries in the file
  int64_t skipped = 0;  // of those, malformed and left out (each logged with a warning)

  int64_t kept() const { return seen - skipped; }
  double skipped_fraction() const { return seen == 0 ? 0.0 : static_cast<double>(skipped) / seen; }
};

}  // namespace soho::data
