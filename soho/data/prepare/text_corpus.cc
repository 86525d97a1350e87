#include "soho/data/prepare/text_corpus.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_fields.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/text/unicode.h"

namespace soho::data {
namespace {

using nlohmann::json;

// Appends entry[key] of each entry of `list` that has a string there.
void CollectStrings(const json& list, const char* key, std::vector<std::string>* texts) {
  for (const json& entry : list) {
    std::string text;
    if (GetField(entry, key, &text).ok()) texts->push_back(std::move(text));
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ReadCorpusTexts(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  std::vector<std::string> texts;
  if (absl::EndsWith(path, ".txt")) {
    int line_number = 0;
    for (absl::string_view line : absl::StrSplit(contents, '\n')) {
      ++line_number;
      // A vocabulary learned from a binary file would look fine and tokenize nothing right.
      if (!unicode::IsUtf8Text(line)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_number, ": not UTF-8 text (a binary file given as a .txt corpus?)"));
      }
      if (!absl::StripAsciiWhitespace(line).empty()) texts.emplace_back(line);
    }
    return texts;
  }
  SOHO_ASSIGN_OR_RETURN(const json root, ParseJson(contents, path));
  if (root.is_array()) {
    SOHO_ASSIGN_OR_RETURN(const PretrainAnnotations pretrain, PretrainAnnotationsFromJson(root, path));
    for (const PretrainImage& image : pretrain.images) {
      texts.insert(texts.end(), image.captions.begin(), image.captions.end());
    }
    return texts;
  }
  if (root.is_object() && root.contains("data")) {
    SOHO_ASSIGN_OR_RETURN(const VqaAnnotations vqa, VqaAnnotationsFromJson(root, path));
    for (const VqaImage& image : vqa.images) {
      for (const VqaQuestion& q : image.questions) texts.push_back(q.question);
    }
    return texts;
  }
  if (root.is_object() && root.contains("questions") && root["questions"].is_array()) {
    CollectStrings(root["questions"], "question", &texts);
    return texts;
  }
  if (root.is_object() && root.contains("annotations") && root["annotations"].is_array()) {
    CollectStrings(root["annotations"], "caption", &texts);
    return texts;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": not a corpus this tool knows (expected .txt lines, pre-training or VQA annotations, "
            "VQA v2 questions or COCO captions)"));
}

}  // namespace soho::data
