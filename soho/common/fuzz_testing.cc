#include "soho/common/fuzz_testing.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace soho::testing {
namespace {

// Bytes that change a parser's path: structure characters of JSON and text format, quotes,
// escapes, digits, signs, and the extremes.
constexpr char kInteresting[] = {'{', '}', '[', ']', '"', '\'', ':', ',', '\\', '#', '\n', '0', '9', '-', 'e',
                                 '.', '\0', '\x7f', '\x80', '\xff', '\xd8', '\xd9'};

std::string Mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  if (seeds.empty() || rng() % 16 == 0) {  // pure random bytes
    std::string random(pick(512), '\0');
    for (char& c : random) c = static_cast<char>(rng());
    return random;
  }
  std::string input = seeds[pick(seeds.size())];
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits; ++e) {
    const size_t at = pick(input.size() + 1);
    switch (rng() % 8) {
      case 0:  // flip one bit
        if (!input.empty()) input[pick(input.size())] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:  // an interesting byte
        if (!input.empty()) input[pick(input.size())] = kInteresting[pick(sizeof(kInteresting))];
        break;
      case 2:  // insert random bytes
        input.insert(at, std::string(1 + pick(8), static_cast<char>(rng())));
        break;
      case 3:  // delete a range
        input.erase(at, pick(32));
        break;
      case 4:  // duplicate a range
        if (!input.empty()) input.insert(at, input.substr(pick(input.size()), pick(64)));
        break;
      case 5:  // truncate
        input.resize(at);
        break;
      case 6: {  // splice: our head, another seed's tail
        const std::string& other = seeds[pick(seeds.size())];
        input = input.substr(0, at) + other.substr(pick(other.size() + 1));
        break;
      }
      default:  // a 4-byte little-endian extreme (sizes, lengths, counts in binary formats)
        if (input.size() >= 4) {
          static constexpr uint32_t kExtremes[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff};
          const uint32_t v = kExtremes[pick(6)];
          const size_t p = pick(input.size() - 3);
          for (int b = 0; b < 4; ++b) input[p + b] = static_cast<char>(v >> (8 * b));
        }
        break;
    }
  }
  return input;
}

std::string LastInputPath() {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (dir == nullptr) dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/fuzz_last_input.bin";
}

}  // namespace

int64_t FuzzFor(double default_seconds, const std::vector<std::string>& seeds, uint64_t rng_seed,
                const std::function<void(const std::string& input)>& one_input) {
  double seconds = default_seconds;
  if (const char* env = std::getenv("SOHO_FUZZ_SECONDS"); env != nullptr) seconds = std::atof(env);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  const std::string last_input = LastInputPath();
  std::mt19937_64 rng(rng_seed);
  int64_t runs = 0;
  auto run = [&](const std::string& input) {
    std::ofstream(last_input, std::ios::binary | std::ios::trunc) << input;
    one_input(input);
    ++runs;
  };
  for (const std::string& seed : seeds) run(seed);
  while (std::chrono::steady_clock::now() < deadline) run(Mutate(seeds, rng));
  return runs;
}

std::vector<std::string> ReadFilesIn(const std::string& dir) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> contents;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    contents.push_back(bytes.str());
  }
  return contents;
}

}  // namespace soho::testing
