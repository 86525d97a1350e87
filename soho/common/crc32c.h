#pragma once
// CRC-32C (Castagnoli), and the "masked" form that TFRecord / TensorBoard event files store.
#include <cstdint>

#include "absl/strings/string_view.h"

namespace soho {

uint32_t Crc32c(absl::string_view data);

// ((crc >> 15) | (crc << 17)) + 0xa282ead8: what TFRecord stores, so that a CRC of data
// that itself holds CRCs is not trivially related to them.
uint32_t MaskedCrc32c(absl::string_view data);

}  // namespace soho
