// The allocator settings keep mid-sized blocks on the heap; the OpenBLAS setter
// reports whether OpenBLAS is in the process (this test does not link it).
#include "soho/common/process_settings.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace soho {
namespace {

TEST(ProcessSettingsTest, MidSizedBlocksComeFromTheHeapNotFromFreshMmaps) {
  ConfigureProcessAllocator();
  ConfigureProcessAllocator();  // idempotent
  // 16 MiB is above glibc's initial mmap threshold (128 KiB) and below ours (32 MiB).
  const size_t mmapped_before = mallinfo2().hblks;
  void* block = std::malloc(16 << 20);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, 16 << 20);
  EXPECT_EQ(mallinfo2().hblks, mmapped_before);
  std::free(block);
}

TEST(ProcessSettingsTest, OpenBlasThreadsOnlyWhenOpenBlasIsLoaded) {
  const bool loaded = dlsym(RTLD_DEFAULT, "openblas_set_num_threads") != nullptr;
  EXPECT_EQ(SetOpenBlasThreads(1), loaded);
}

}  // namespace
}  // namespace soho
