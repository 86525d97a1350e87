#include "soho/common/temp_path.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "soho/common/logging.h"

namespace soho::testing {

std::string TempPath(const std::string& suffix) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string pattern = std::string(dir ? dir : "/tmp") + "/soho_XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  // mkstemp reserves a unique name; the file goes again, and the suffix keeps the name unique.
  const int fd = mkstemp(buffer.data());
  CHECK_GE(fd, 0) << "mkstemp failed for " << pattern;
  close(fd);
  unlink(buffer.data());
  return std::string(buffer.data()) + suffix;
}

}  // namespace soho::testing
