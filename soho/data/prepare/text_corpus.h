#pragma once
// The texts of a corpus file, for learning a WordPiece vocabulary (`prepare vocab`). The
// format is recognized from the content:
//   *.txt                                  one text per non-empty line
//   JSON list                              pre-training annotations: their captions
//   JSON object with "data"                VQA annotations: their questions
//   JSON object with "questions"           VQA v2 questions: their questions
//   JSON object with "annotations"         COCO captions: their captions
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace soho::data {

// Errors name the file: unreadable, malformed JSON (line/column), unrecognized layout.
absl::StatusOr<std::vector<std::string>> ReadCorpusTexts(const std::string& path);

}  // namespace soho::data
