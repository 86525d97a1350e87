#include "soho/data/image/image_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "soho/common/file_util.h"

namespace soho::data {
namespace {

class FolderImageStore final : public ImageStore {
 public:
  explicit FolderImageStore(std::string root) : root_(std::move(root)) {}

  // One allocation of the file's size and one read(2) loop: no stream buffering copies.
  absl::StatusOr<std::string> Read(const std::string& file_name) const override {
    const std::string path = Describe(file_name);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open (", std::strerror(errno), ")"));
    struct stat info;
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      ::close(fd);
      return absl::NotFoundError(absl::StrCat(path, ": not a regular file"));
    }
    std::string bytes(static_cast<size_t>(info.st_size), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        const std::string why = got < 0 ? std::strerror(errno) : "unexpected end of file";
        ::close(fd);
        return absl::DataLossError(absl::StrCat(path, ": read error (", why, ")"));
      }
      done += static_cast<size_t>(got);
    }
    ::close(fd);
    return bytes;
  }

  std::string Describe(const std::string& file_name) const override {
    return ResolvePath(root_, file_name);
  }

 private:
  std::string root_;
};

// libzip handles are not thread-safe: one mutex serializes the (cheap) reads of stored
// bytes; decoding, the expensive part, happens outside it.
class ZipImageStore final : public ImageStore {
 public:
  ZipImageStore(std::string path, zip_t* archive) : path_(std::move(path)), archive_(archive) {
    // Archives made by zipping a folder prefix every member with "<folder>/"; accept names
    // relative to that folder too, as the reference's "x.zip@/name" paths are.
    std::string stem(absl::StripSuffix(path_.substr(path_.find_last_of('/') + 1), ".zip"));
    folder_prefix_ = stem + "/";
  }
  ~ZipImageStore() override { zip_discard(archive_); }

  absl::StatusOr<std::string> Read(const std::string& file_name) const override {
    std::string name(absl::StripPrefix(file_name, "/"));
    std::lock_guard<std::mutex> lock(mutex_);
    zip_int64_t index = zip_name_locate(archive_, name.c_str(), 0);
    if (index < 0) index = zip_name_locate(archive_, (folder_prefix_ + name).c_str(), 0);
    if (index < 0) return absl::NotFoundError(absl::StrCat(Describe(file_name), ": no such file in the archive"));
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive_, index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE)) {
      return absl::DataLossError(absl::StrCat(Describe(file_name), ": cannot stat: ", zip_strerror(archive_)));
    }
    zip_file_t* file = zip_fopen_index(archive_, index, 0);
    if (file == nullptr) {
      return absl::DataLossError(absl::StrCat(Describe(file_name), ": cannot open: ", zip_strerror(archive_)));
    }
    std::string bytes(stat.size, '\0');
    const zip_int64_t got = zip_fread(file, bytes.data(), stat.size);
    std::string error = got < 0 ? zip_file_strerror(file) : "";
    zip_fclose(file);
    if (got != static_cast<zip_int64_t>(stat.size)) {
      return absl::DataLossError(absl::StrCat(Describe(file_name), ": read ", got, " of ", stat.size,
                                              " bytes ", error));
    }
    return bytes;
  }

  std::string Describe(const std::string& file_name) const override {
    return absl::StrCat(path_, "@", absl::StripPrefix(file_name, "/"));
  }

 private:
  std::string path_;
  std::string folder_prefix_;
  zip_t* archive_;
  mutable std::mutex mutex_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ImageStore>> ImageStore::Open(const std::string& root) {
  struct stat info;
  if (root.empty() || ::stat(root.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("image root '", root, "' does not exist"));
  }
  if (S_ISDIR(info.st_mode)) return std::make_unique<FolderImageStore>(root);
  if (!absl::EndsWith(absl::AsciiStrToLower(root), ".zip")) {
    return absl::InvalidArgumentError(
        absl::StrCat("image root '", root, "' is neither a folder nor a .zip archive"));
  }
  int error_code = 0;
  zip_t* archive = zip_open(root.c_str(), ZIP_RDONLY, &error_code);
  if (archive == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, error_code);
    std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    return absl::DataLossError(absl::StrCat("cannot open zip archive '", root, "': ", message));
  }
  return std::make_unique<ZipImageStore>(root, archive);
}

}  // namespace soho::data
