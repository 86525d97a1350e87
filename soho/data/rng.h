#pragma once
// A small, portable, seedable random generator for the data pipeline.
//
// Why not <random>: std::uniform_int_distribution and friends are implementation-defined,
// so the same seed gives different samples with another standard library. Everything the
// loader draws (scales, captions, masks, negatives, shuffles) goes through this class, so a
// (seed, epoch, batch) triple means the same batch everywhere.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace soho::data {

// SplitMix64 finalizer: a bijective mix of 64 bits (Steele et al.).
inline uint64_t MixBits(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// One seed from several integers (run seed, epoch, rank, batch index, ...); order matters.
inline uint64_t CombineSeeds(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x6A09E667F3BCC909ull;
  for (uint64_t p : parts) h = MixBits(h ^ MixBits(p));
  return h;
}

// xoshiro256** (Blackman & Vigna), seeded through SplitMix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    // The SplitMix64 sequence from `seed` (never all-zero state).
    for (uint64_t& s : state_) {
      s = MixBits(seed);
      seed += 0x9E3779B97F4A7C15ull;
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t UniformInt(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

  // Uniform integer in [lo, hi] (inclusive), lo <= hi.
  int64_t UniformRange(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(UniformInt(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  bool Bernoulli(double p) { return Uniform() < p; }

  // One element of a non-empty vector, uniformly.
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[UniformInt(items.size())];
  }

  // Fisher-Yates.
  template <typename T>
  void Shuffle(std::vector<T>* v) {
    for (std::size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[UniformInt(i)]);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace soho::data
