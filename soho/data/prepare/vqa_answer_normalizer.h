#pragma once
// VQA answer normalization exactly as the official VQA evaluation script (vqaEval.py) does
// before comparing answers: newline/tab -> space and strip, then processPunctuation, then
// processDigitArticle. Used on every annotator answer before counting.
#include <string>
#include "absl/strings/string_view.h"

namespace soho::data {

// The full normalization: "Two dogs." -> "2 dogs", "the red one" -> "red 1",
// "dont" -> "don't", "1,000" -> "1000", "yes!" -> "yes".
std::string NormalizeVqaAnswer(absl::string_view answer);

// The script's steps, exposed for the VQA metric (soho/eval), which applies them to
// predictions and ground truth in different combinations, and for tests.
//
// '\n' and '\t' -> ' ', then Python's str.strip() (Unicode whitespace at both ends).
std::string VqaCleanWhitespace(absl::string_view text);
//
// processPunctuation: each of ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? ! is deleted when the
// input contains it next to a space or contains a comma between digits, else replaced by a
// space; then up to 32 periods not followed by a digit are deleted (the script passes
// re.UNICODE as re.sub's count argument, and its "(?!<=\d)" guard never fires).
std::string VqaProcessPunctuation(absl::string_view text);
// processDigitArticle: lower-case, split on whitespace, number words "none"/"zero".."ten" to
// digits, drop the articles a/an/the, expand the contraction table ("dont" -> "don't"),
// join with single spaces.
std::string VqaProcessDigitArticle(absl::string_view text);

}  // namespace soho::data
