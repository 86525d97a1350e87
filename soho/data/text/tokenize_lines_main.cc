// Test helper: BertTokenizer::Tokenize on each stdin line; prints the WordPiece tokens
// joined by \x01, one line per input line.
//   tokenize_lines VOCAB.txt [cased]     (cased keeps case and accents)
#include <iostream>
#include <string>

#include "soho/data/text/bert_tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: tokenize_lines VOCAB.txt [cased]\n";
    return 2;
  }
  const bool lower_case = argc < 3 || std::string(argv[2]) != "cased";
  auto tokenizer = soho::data::BertTokenizer::Create(argv[1], lower_case);
  if (!tokenizer.ok()) {
    std::cerr << tokenizer.status().message() << "\n";
    return 1;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    const auto tokens = (*tokenizer)->Tokenize(line);
    for (size_t i = 0; i < tokens.size(); ++i) std::cout << (i ? "\x01" : "") << tokens[i];
    std::cout << "\n";
  }
  return 0;
}
