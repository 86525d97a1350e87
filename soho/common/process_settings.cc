#include "soho/common/process_settings.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>

namespace soho {

void ConfigureProcessAllocator() {
#ifdef __GLIBC__
  static const bool configured = [] {
    if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 << 20);
    if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)configured;
#endif
}

bool SetOpenBlasThreads(int n) {
  // Looked up at run time: which BLAS libblas.so.3 is depends on the system's alternatives.
  using SetFn = void (*)(int);
  auto* set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set == nullptr) return false;
  set(n);
  return true;
}

}  // namespace soho
