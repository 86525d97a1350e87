// Test helper: NormalizeVqaAnswer on each stdin line (\x01 stands for a newline inside an
// answer); prints each result followed by \x02 and a newline.
#include <iostream>
#include <string>

#include "soho/data/prepare/vqa_answer_normalizer.h"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    for (char& c : line) {
      if (c == '\x01') c = '\n';
    }
    std::cout << soho::data::NormalizeVqaAnswer(line) << "\x02\n";
  }
  return 0;
}
