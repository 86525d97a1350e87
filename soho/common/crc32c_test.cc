#include "soho/common/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace soho {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // The check value of CRC-32C (RFC 3720 appendix B.4) and iSCSI's all-zero / all-one blocks.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, MaskRotatesAndOffsets) {
  const uint32_t crc = Crc32c("123456789");
  EXPECT_EQ(MaskedCrc32c("123456789"), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

}  // namespace
}  // namespace soho
