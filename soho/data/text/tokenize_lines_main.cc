// Test helper: BasicTokenizer on each stdin line; prints the tokens joined by \x01, one line
// per input line. `tokenize_lines cased` keeps case and accents.
#include <iostream>
#include <string>

#include "soho/data/text/basic_tokenizer.h"

int main(int argc, char** argv) {
  const soho::data::BasicTokenizer tokenizer(/*lower_case=*/argc < 2 || std::string(argv[1]) != "cased");
  std::string line;
  while (std::getline(std::cin, line)) {
    const auto tokens = tokenizer.Tokenize(line);
    for (size_t i = 0; i < tokens.size(); ++i) std::cout << (i ? "\x01" : "") << tokens[i];
    std::cout << "\n";
  }
  return 0;
}
