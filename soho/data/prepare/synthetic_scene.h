#pragma once
// The synthetic world's scenes and their text: 1..4 non-overlapping objects (shape x colour x
// size) on a plain or noisy background, with captions and VQA questions that are true of the
// scene. Pure computation (no OpenCV): deterministic for a seed on every platform, because
// all randomness comes from the data pipeline's Rng (soho/data/rng.h), not from <random>.
#include <cstdint>
#include <string>
#include <vector>

#include "soho/data/rng.h"

namespace soho::data::synthetic {

enum class Shape { kCircle, kSquare, kTriangle, kDiamond, kStar };
enum class Color { kRed, kGreen, kBlue, kYellow, kPurple, kOrange };
enum class Size { kSmall, kLarge };
inline constexpr int kNumShapes = 5;
inline constexpr int kNumColors = 6;

const char* ShapeName(Shape shape);        // "circle"
const char* ShapePlural(Shape shape);      // "circles"
const char* ColorName(Color color);        // "red"
const char* SizeName(Size size);           // "small"
// The colour as 8-bit blue, green, red (OpenCV's channel order).
void ColorBgr(Color color, uint8_t bgr[3]);

struct Object {
  Shape shape = Shape::kCircle;
  Color color = Color::kRed;
  Size size = Size::kSmall;
  double cx = 0, cy = 0;  // centre, pixels
  double radius = 0;      // the shape fits in this circle; objects' circles do not overlap
};

struct Scene {
  int width = 0, height = 0;
  int background_level = 128;   // gray level
  bool noisy_background = false;
  uint64_t noise_seed = 0;      // for the renderer
  std::vector<Object> objects;
};

inline constexpr int kMaxObjects = 4;  // count words and questions go up to this many

// One random scene: sides in [160, 320] (landscape, portrait or square-ish), 1..max_objects
// objects (max_objects in [1, kMaxObjects]).
Scene GenerateScene(Rng* rng, int max_objects = kMaxObjects);

// "left", "right", "top", "bottom" or "center": where in the image the object is.
std::string PositionWord(const Scene& scene, const Object& object);
// Relation of a to b along the dominant axis: "to the left of", "to the right of", "above",
// "below".
std::string RelationPhrase(const Object& a, const Object& b);
std::string BackgroundName(const Scene& scene);  // "gray", "light gray", "dark gray"

// >= 5 distinct true captions, `max_captions` at most, in a seeded order.
std::vector<std::string> Captions(const Scene& scene, int max_captions, Rng* rng);

// One generated question with its ground truth and 10 annotators' raw answers.
struct QuestionAnswer {
  std::string question;
  std::string answer;         // canonical (already normalized) answer
  std::string answer_type;    // "yes/no", "number", "other" (VQA v2's field)
  std::string question_type;  // "is there a", "how many", "what color is the", ...
  std::string template_name;  // which generator made it, for balance statistics
  std::vector<std::string> annotator_answers;  // 10 raw answers, a few wrong or re-spelled
};

// Up to `count` distinct questions about the scene (fewer only when the scene supports
// fewer). Yes/no templates answer yes with probability 1/2; count templates first draw the
// answer among the counts the scene can give, so answers need the image.
std::vector<QuestionAnswer> Questions(const Scene& scene, int count, Rng* rng);

}  // namespace soho::data::synthetic
