#include "soho/data/prepare/synthetic_scene.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace soho::data::synthetic {
namespace {

const char* const kNumberWords[] = {"no", "one", "two", "three", "four", "five"};

std::vector<Shape> AllShapes() {
  return {Shape::kCircle, Shape::kSquare, Shape::kTriangle, Shape::kDiamond, Shape::kStar};
}
std::vector<Color> AllColors() {
  return {Color::kRed, Color::kGreen, Color::kBlue, Color::kYellow, Color::kPurple, Color::kOrange};
}

std::string Describe(const Object& o) {  // "large red circle"
  return absl::StrCat(SizeName(o.size), " ", ColorName(o.color), " ", ShapeName(o.shape));
}
std::string ColorShape(const Object& o) {  // "red circle"
  return absl::StrCat(ColorName(o.color), " ", ShapeName(o.shape));
}

int CountIf(const Scene& scene, const std::function<bool(const Object&)>& pred) {
  return static_cast<int>(std::count_if(scene.objects.begin(), scene.objects.end(), pred));
}
int CountShape(const Scene& s, Shape shape) {
  return CountIf(s, [&](const Object& o) { return o.shape == shape; });
}
int CountColor(const Scene& s, Color color) {
  return CountIf(s, [&](const Object& o) { return o.color == color; });
}
int CountColorShape(const Scene& s, Color color, Shape shape) {
  return CountIf(s, [&](const Object& o) { return o.color == color && o.shape == shape; });
}

std::string Capitalized(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

// Rewrites of a correct answer that the VQA normalization maps back to it, as real
// annotators write "Yes", "two" or "the left".
std::string Respell(const QuestionAnswer& qa, const std::string& answer, Rng* rng) {
  switch (static_cast<int>(rng->UniformInt(3))) {
    case 0:
      return Capitalized(answer);
    case 1:
      return absl::StrCat(answer, ".");
    default:
      if (qa.answer_type == "number") {
        const int n = std::stoi(answer);
        return n == 0 ? "none" : kNumberWords[n];
      }
      if (qa.question_type == "where is the") return absl::StrCat("the ", answer);
      if (qa.question_type == "what shape is the") return absl::StrCat("a ", answer);
      return Capitalized(answer);
  }
}

// A plausible wrong answer of the same kind.
std::string WrongAnswer(const QuestionAnswer& qa, Rng* rng) {
  std::vector<std::string> options;
  if (qa.answer_type == "yes/no") {
    options = {qa.answer == "yes" ? "no" : "yes"};
  } else if (qa.answer_type == "number") {
    const int n = std::stoi(qa.answer);
    options.push_back(std::to_string(n + 1));
    if (n > 0) options.push_back(std::to_string(n - 1));
  } else if (qa.question_type == "what color is the") {
    for (Color c : AllColors()) options.push_back(ColorName(c));
  } else if (qa.question_type == "what shape is the") {
    for (Shape s : AllShapes()) options.push_back(ShapeName(s));
  } else if (qa.question_type == "where is the") {
    options = {"left", "right", "top", "bottom", "center"};
  } else {
    options = {"small", "large"};
  }
  options.erase(std::remove(options.begin(), options.end(), qa.answer), options.end());
  return rng->Pick(options);
}

void Annotate(QuestionAnswer* qa, Rng* rng) {
  // Most questions are answered unanimously; some get one or two dissenting annotators,
  // so soft scores of 0.3/0.6 appear next to the 1.0 of the right answer.
  static const std::vector<double> kErrorRates = {0.0, 0.0, 0.05, 0.1};
  const double error_rate = rng->Pick(kErrorRates);
  for (int i = 0; i < 10; ++i) {
    if (rng->Bernoulli(error_rate)) {
      qa->annotator_answers.push_back(WrongAnswer(*qa, rng));
    } else if (rng->Bernoulli(0.15)) {
      qa->annotator_answers.push_back(Respell(*qa, qa->answer, rng));
    } else {
      qa->annotator_answers.push_back(qa->answer);
    }
  }
}

// Objects whose colour+shape is unique in the scene (so "the red circle" names one object).
std::vector<const Object*> UniquelyNamed(const Scene& s) {
  std::vector<const Object*> result;
  for (const Object& o : s.objects) {
    if (CountColorShape(s, o.color, o.shape) == 1) result.push_back(&o);
  }
  return result;
}

using Template = std::function<bool(const Scene&, Rng*, QuestionAnswer*)>;

bool IsThereColorShape(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  Color color;
  Shape shape;
  const bool yes = rng->Bernoulli(0.5);
  if (yes) {
    const Object& o = rng->Pick(s.objects);
    color = o.color;
    shape = o.shape;
  } else {
    do {
      color = rng->Pick(AllColors());
      shape = rng->Pick(AllShapes());
    } while (CountColorShape(s, color, shape) > 0);
  }
  qa->question = absl::StrCat("is there a ", ColorName(color), " ", ShapeName(shape), "?");
  qa->answer = yes ? "yes" : "no";
  qa->question_type = "is there a";
  return true;
}

bool AreThereShapes(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  const bool yes = rng->Bernoulli(0.5);
  std::vector<Shape> candidates;
  for (Shape shape : AllShapes()) {
    if ((CountShape(s, shape) > 0) == yes) candidates.push_back(shape);
  }
  const Shape shape = rng->Pick(candidates);  // 1..4 objects, 5 shapes: never empty
  qa->question = absl::StrCat("are there any ", ShapePlural(shape), "?");
  qa->answer = yes ? "yes" : "no";
  qa->question_type = "are there any";
  return true;
}

bool IsShapeColor(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  std::vector<const Object*> unique;
  for (const Object& o : s.objects) {
    if (CountShape(s, o.shape) == 1) unique.push_back(&o);
  }
  if (unique.empty()) return false;
  const Object& o = *rng->Pick(unique);
  const bool yes = rng->Bernoulli(0.5);
  Color color = o.color;
  while (!yes && color == o.color) color = rng->Pick(AllColors());
  qa->question = absl::StrCat("is the ", ShapeName(o.shape), " ", ColorName(color), "?");
  qa->answer = yes ? "yes" : "no";
  qa->question_type = "is the";
  return true;
}

bool IsLeftOf(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  const std::vector<const Object*> unique = UniquelyNamed(s);
  if (unique.size() < 2) return false;
  const Object* a = rng->Pick(unique);
  const Object* b = a;
  while (b == a) b = rng->Pick(unique);
  const std::string truth = RelationPhrase(*a, *b);
  static const std::map<std::string, std::string> kOpposite = {
      {"to the left of", "to the right of"}, {"to the right of", "to the left of"},
      {"above", "below"}, {"below", "above"}};
  const bool yes = rng->Bernoulli(0.5);
  qa->question = absl::StrCat("is the ", ColorShape(*a), " ", yes ? truth : kOpposite.at(truth),
                              " the ", ColorShape(*b), "?");
  qa->answer = yes ? "yes" : "no";
  qa->question_type = "is the";
  return true;
}

// Draws the answer first, uniformly among the counts this scene offers for `kinds`, then a
// kind with that count: a question-only model cannot lean on "0" or "1".
template <typename Kind>
bool HowMany(const Scene& s, Rng* rng, const std::vector<Kind>& kinds,
             const std::function<int(Kind)>& count, Kind* chosen, int* answer) {
  std::map<int, std::vector<Kind>> by_count;
  for (Kind k : kinds) by_count[count(k)].push_back(k);
  auto it = by_count.begin();
  std::advance(it, rng->UniformInt(by_count.size()));
  *answer = it->first;
  *chosen = rng->Pick(it->second);
  return true;
}

bool HowManyShapes(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  Shape shape;
  int n = 0;
  HowMany<Shape>(s, rng, AllShapes(), [&](Shape k) { return CountShape(s, k); }, &shape, &n);
  qa->question = absl::StrCat("how many ", ShapePlural(shape), " are there?");
  qa->answer = std::to_string(n);
  qa->question_type = "how many";
  return true;
}

bool HowManyColor(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  Color color;
  int n = 0;
  HowMany<Color>(s, rng, AllColors(), [&](Color k) { return CountColor(s, k); }, &color, &n);
  qa->question = absl::StrCat("how many ", ColorName(color), " objects are there?");
  qa->answer = std::to_string(n);
  qa->question_type = "how many";
  return true;
}

bool HowManyObjects(const Scene& s, Rng*, QuestionAnswer* qa) {
  qa->question = "how many shapes are there?";
  qa->answer = std::to_string(s.objects.size());
  qa->question_type = "how many";
  return true;
}

bool WhatColor(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  std::vector<const Object*> unique;
  for (const Object& o : s.objects) {
    if (CountShape(s, o.shape) == 1) unique.push_back(&o);
  }
  if (unique.empty()) return false;
  const Object& o = *rng->Pick(unique);
  qa->question = absl::StrCat("what color is the ", ShapeName(o.shape), "?");
  qa->answer = ColorName(o.color);
  qa->question_type = "what color is the";
  return true;
}

bool WhatShape(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  std::vector<const Object*> unique;
  for (const Object& o : s.objects) {
    if (CountColor(s, o.color) == 1) unique.push_back(&o);
  }
  if (unique.empty()) return false;
  const Object& o = *rng->Pick(unique);
  qa->question = absl::StrCat("what shape is the ", ColorName(o.color), " object?");
  qa->answer = ShapeName(o.shape);
  qa->question_type = "what shape is the";
  return true;
}

bool Where(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  const std::vector<const Object*> unique = UniquelyNamed(s);
  if (unique.empty()) return false;
  const Object& o = *rng->Pick(unique);
  qa->question = absl::StrCat("where is the ", ColorShape(o), "?");
  qa->answer = PositionWord(s, o);
  qa->question_type = "where is the";
  return true;
}

bool WhatSize(const Scene& s, Rng* rng, QuestionAnswer* qa) {
  // Large objects are placed less often (they fit less easily), so draw the answer first.
  const Size wanted = rng->Bernoulli(0.5) ? Size::kLarge : Size::kSmall;
  std::vector<const Object*> unique;
  for (const Object* o : UniquelyNamed(s)) {
    if (o->size == wanted) unique.push_back(o);
  }
  if (unique.empty()) return false;
  const Object& o = *rng->Pick(unique);
  qa->question = absl::StrCat("what size is the ", ColorShape(o), "?");
  qa->answer = SizeName(o.size);
  qa->question_type = "what size is the";
  return true;
}

struct NamedTemplate {
  const char* name;
  const char* answer_type;
  Template make;
};

const std::vector<NamedTemplate>& Templates() {
  static const auto* templates = new std::vector<NamedTemplate>{
      {"is_there_color_shape", "yes/no", IsThereColorShape},
      {"are_there_shapes", "yes/no", AreThereShapes},
      {"is_shape_color", "yes/no", IsShapeColor},
      {"relation", "yes/no", IsLeftOf},
      {"how_many_shapes", "number", HowManyShapes},
      {"how_many_color", "number", HowManyColor},
      {"how_many_objects", "number", HowManyObjects},
      {"what_color", "other", WhatColor},
      {"what_shape", "other", WhatShape},
      {"where", "other", Where},
      {"what_size", "other", WhatSize},
  };
  return *templates;
}

}  // namespace

const char* ShapeName(Shape shape) {
  static const char* const kNames[] = {"circle", "square", "triangle", "diamond", "star"};
  return kNames[static_cast<int>(shape)];
}
const char* ShapePlural(Shape shape) {
  static const char* const kNames[] = {"circles", "squares", "triangles", "diamonds", "stars"};
  return kNames[static_cast<int>(shape)];
}
const char* ColorName(Color color) {
  static const char* const kNames[] = {"red", "green", "blue", "yellow", "purple", "orange"};
  return kNames[static_cast<int>(color)];
}
const char* SizeName(Size size) { return size == Size::kSmall ? "small" : "large"; }

void ColorBgr(Color color, uint8_t bgr[3]) {
  static const uint8_t kBgr[][3] = {{30, 30, 220}, {40, 170, 30},  {220, 80, 20},
                                    {30, 220, 235}, {170, 40, 150}, {20, 140, 255}};
  std::copy(kBgr[static_cast<int>(color)], kBgr[static_cast<int>(color)] + 3, bgr);
}

Scene GenerateScene(Rng* rng, int max_objects) {
  Scene scene;
  const int long_side = static_cast<int>(rng->UniformRange(256, 320));
  const int kind = static_cast<int>(rng->UniformInt(3));  // landscape, portrait, square-ish
  const double ratio = kind == 2 ? rng->Uniform(0.9, 1.0) : rng->Uniform(0.625, 0.85);
  const int short_side = std::max(160, static_cast<int>(std::lround(long_side * ratio)));
  scene.width = kind == 1 ? short_side : long_side;
  scene.height = kind == 1 ? long_side : short_side;
  static const int kLevels[] = {128, 190, 70};  // gray, light gray, dark gray
  scene.background_level =
      kLevels[rng->UniformInt(3)] + static_cast<int>(rng->UniformRange(-8, 8));
  scene.noisy_background = rng->Bernoulli(0.5);
  scene.noise_seed = rng->Next();

  const int wanted = static_cast<int>(rng->UniformRange(1, std::clamp(max_objects, 1, kMaxObjects)));
  const double unit = std::min(scene.width, scene.height);
  for (int i = 0; i < wanted; ++i) {
    Object o;
    o.shape = static_cast<Shape>(rng->UniformInt(kNumShapes));
    o.color = static_cast<Color>(rng->UniformInt(kNumColors));
    o.size = rng->Bernoulli(0.5) ? Size::kLarge : Size::kSmall;
    o.radius = unit * (o.size == Size::kLarge ? rng->Uniform(0.15, 0.18) : rng->Uniform(0.075, 0.095));
    // Rejection sampling for a place that keeps a gap to every object placed so far.
    for (int attempt = 0; attempt < 200; ++attempt) {
      o.cx = rng->Uniform(o.radius + 2, scene.width - o.radius - 2);
      o.cy = rng->Uniform(o.radius + 2, scene.height - o.radius - 2);
      const bool free = std::all_of(scene.objects.begin(), scene.objects.end(), [&](const Object& p) {
        return std::hypot(o.cx - p.cx, o.cy - p.cy) > o.radius + p.radius + 0.03 * unit;
      });
      if (free) {
        scene.objects.push_back(o);
        break;
      }
    }
  }
  return scene;
}

std::string PositionWord(const Scene& scene, const Object& o) {
  const double dx = o.cx / scene.width - 0.5, dy = o.cy / scene.height - 0.5;
  if (std::max(std::abs(dx), std::abs(dy)) < 0.12) return "center";
  if (std::abs(dx) >= std::abs(dy)) return dx < 0 ? "left" : "right";
  return dy < 0 ? "top" : "bottom";
}

std::string RelationPhrase(const Object& a, const Object& b) {
  const double dx = a.cx - b.cx, dy = a.cy - b.cy;
  if (std::abs(dx) >= std::abs(dy)) return dx < 0 ? "to the left of" : "to the right of";
  return dy < 0 ? "above" : "below";
}

std::string BackgroundName(const Scene& scene) {
  if (scene.background_level >= 170) return "light gray";
  if (scene.background_level <= 100) return "dark gray";
  return "gray";
}

std::vector<std::string> Captions(const Scene& s, int max_captions, Rng* rng) {
  const int n = static_cast<int>(s.objects.size());
  const std::string count_word = kNumberWords[n];
  const std::string noun = n == 1 ? "shape" : "shapes";
  std::vector<std::string> candidates;

  std::vector<std::string> listed;
  for (const Object& o : s.objects) listed.push_back(absl::StrCat("a ", Describe(o)));
  candidates.push_back(listed.size() == 1
                           ? listed[0]
                           : absl::StrCat(absl::StrJoin(listed.begin(), listed.end() - 1, ", "),
                                          " and ", listed.back()));
  candidates.push_back(n == 1 ? "there is one shape in the picture"
                              : absl::StrCat("there are ", count_word, " shapes in the picture"));
  candidates.push_back(absl::StrCat(count_word, " ", noun, " on a ",
                                    s.noisy_background ? "noisy " : "plain ", BackgroundName(s),
                                    " background"));
  for (const Object& o : s.objects) {
    const std::string where = PositionWord(s, o);
    candidates.push_back(where == "center"
                             ? absl::StrCat("the ", ColorShape(o), " is in the center")
                             : absl::StrCat("the ", ColorShape(o), " is at the ", where));
  }
  if (n == 1) {
    const Object& o = s.objects[0];
    candidates.push_back(absl::StrCat("the only shape is a ", Describe(o)));
    static const std::map<std::string, std::string> kWhere = {
        {"left", "on the left side of the image"}, {"right", "on the right side of the image"},
        {"top", "at the top of the image"}, {"bottom", "at the bottom of the image"},
        {"center", "in the middle of the image"}};
    candidates.push_back(absl::StrCat("a ", Describe(o), " ", kWhere.at(PositionWord(s, o))));
  }
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (i != j) {
        candidates.push_back(absl::StrCat("a ", Describe(s.objects[i]), " ",
                                          RelationPhrase(s.objects[i], s.objects[j]), " a ",
                                          Describe(s.objects[j])));
      }
    }
  }
  for (Color c : AllColors()) {
    const int k = CountColor(s, c);
    if (k >= 2) candidates.push_back(absl::StrCat(kNumberWords[k], " of the shapes are ", ColorName(c)));
  }
  for (Shape shape : AllShapes()) {
    const int k = CountShape(s, shape);
    if (k >= 2) candidates.push_back(absl::StrCat("there are ", kNumberWords[k], " ", ShapePlural(shape)));
    if (k == 0 && rng->Bernoulli(0.3)) {
      candidates.push_back(absl::StrCat("there is no ", ShapeName(shape), " in this image"));
    }
  }
  const int large = CountIf(s, [](const Object& o) { return o.size == Size::kLarge; });
  const int small = n - large;
  if (large == 0 || small == 0) {
    candidates.push_back(n == 1 ? absl::StrCat("the shape is ", large ? "large" : "small")
                                : absl::StrCat("all the shapes are ", large ? "large" : "small"));
  } else {
    candidates.push_back(absl::StrCat(kNumberWords[large], " large ", large == 1 ? "shape" : "shapes",
                                      " and ", kNumberWords[small], " small ",
                                      small == 1 ? "shape" : "shapes"));
  }

  std::set<std::string> seen;
  std::vector<std::string> unique;
  for (std::string& c : candidates) {
    if (seen.insert(c).second) unique.push_back(std::move(c));
  }
  // The first two (the listing and the count) always stay; the rest are a seeded sample.
  std::vector<std::string> rest(unique.begin() + 2, unique.end());
  rng->Shuffle(&rest);
  std::vector<std::string> captions(unique.begin(), unique.begin() + 2);
  for (std::string& c : rest) {
    if (static_cast<int>(captions.size()) >= max_captions) break;
    captions.push_back(std::move(c));
  }
  return captions;
}

std::vector<QuestionAnswer> Questions(const Scene& s, int count, Rng* rng) {
  std::vector<int> order(Templates().size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  rng->Shuffle(&order);
  std::vector<QuestionAnswer> result;
  std::set<std::string> asked;
  // Two passes over the shuffled templates: a template may add a second, different question.
  for (int pass = 0; pass < 2 && static_cast<int>(result.size()) < count; ++pass) {
    for (const int t : order) {
      if (static_cast<int>(result.size()) >= count) break;
      QuestionAnswer qa;
      qa.template_name = Templates()[t].name;
      qa.answer_type = Templates()[t].answer_type;
      if (!Templates()[t].make(s, rng, &qa) || !asked.insert(qa.question).second) continue;
      Annotate(&qa, rng);
      result.push_back(std::move(qa));
    }
  }
  return result;
}

}  // namespace soho::data::synthetic
