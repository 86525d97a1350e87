#pragma once
// Process-wide performance settings, shared by the CLIs, the loader and the benchmarks.
namespace soho {

// glibc malloc keeps freed memory mapped: M_MMAP_THRESHOLD 32 MiB (blocks below it come from
// the heap, not fresh mmaps) and M_TRIM_THRESHOLD 1 GiB (the heap top is not given back
// after every batch). With glibc's dynamic thresholds a forward's ~10-40 MB activations get
// fresh pages on every call, a page fault per 4 KB: measured 3x fewer faults per ResNet
// forward with these values. Idempotent; MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ in
// the environment win. Call it before the first large allocation (cli::Init does).
void ConfigureProcessAllocator();

// Sets OpenBLAS's own thread pool (LibTorch's at::set_num_threads does not reach it) when
// the process loaded OpenBLAS; returns whether it did. n > 0.
bool SetOpenBlasThreads(int n);

}  // namespace soho
