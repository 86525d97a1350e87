// Tokenizer throughput (texts/s) on caption-like and Unicode-heavy text, to check that text
// encoding is never the data loader's bottleneck (a batch needs ~tens of Encode calls).
//   bazel run -c opt //soho/data/text:tokenizer_benchmark
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/data/text/wordpiece_trainer.h"

namespace soho::data {
namespace {

const std::vector<std::string>& Captions() {
  static const auto* captions = new std::vector<std::string>{
      "A man riding a wave on top of a surfboard.",
      "Two dogs are playing with a frisbee in the park!",
      "a large red circle to the left of a small blue square",
      "Café tables, umbrellas and chairs line the sidewalk (Paris, 2014).",
      "An airplane is parked on the tarmac at an airport.",
      "How many giraffes are standing next to the 中国 sign?",
  };
  return *captions;
}

const BertTokenizer& Tokenizer() {
  static const BertTokenizer* tokenizer = [] {
    WordpieceTrainer trainer({/*max_size=*/400, 1, true});
    for (const std::string& caption : Captions()) trainer.Add(caption);
    return BertTokenizer::FromVocab(*Vocab::FromTokens(*trainer.Build(), "benchmark")).release();
  }();
  return *tokenizer;
}

void BM_Encode(benchmark::State& state) {
  const BertTokenizer& tokenizer = Tokenizer();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tokenizer.Encode(Captions()[i++ % Captions().size()], 40));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode);

}  // namespace
}  // namespace soho::data

BENCHMARK_MAIN();
