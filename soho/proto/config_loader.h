#pragma once
// Loading, overriding and validating run configs (text-format SohoConfig).
//
//   SOHO_ASSIGN_OR_RETURN(SohoConfig config, LoadConfig("configs/tiny/pretrain.pbtxt",
//                                                       {"runtime.seed=3"}));
//
// Every error names the file (with line:column for syntax errors) and the field.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/proto/config.pb.h"

namespace soho::proto {

// A run config is a few kilobytes; a larger file is a wrong path (a dataset, /dev/zero).
inline constexpr uint64_t kMaxConfigBytes = uint64_t{1} << 20;

// Parses text-format `text`; `source` (a file name) prefixes errors. Unknown fields are
// errors; when the braces do not pair up, the first error says where the unclosed block
// opened (a missing '}' otherwise reads as "X has no field named ..."). Does not fill
// defaults or validate.
absl::StatusOr<proto::SohoConfig> ParseConfigText(const std::string& text,
                                                  const std::string& source);

// Splits a --set flag value "a.b=1,c.d=x,y" into overrides. A comma starts a new override
// only when what follows looks like "field.path=", so values may contain commas.
std::vector<std::string> SplitOverrides(const std::string& flag_value);

// Applies "field.path=value" overrides. Scalars are replaced; for repeated fields the value
// is a bracketed list ("[1, 2]") or a single element, and replaces the whole field; for
// message fields it is a text-format body ("{ long_edge: 1000 short_edge: 600 }").
// An existing element of a repeated message field is addressed by index on the way:
// "data.train[0].annotation=x.json".
absl::Status ApplyOverrides(const std::vector<std::string>& overrides, proto::SohoConfig* config);

// Fills the defaults that proto2 cannot express (normalization constants, the test scale,
// the backbone output stage), so that a printed config is fully resolved.
void ResolveDefaults(proto::SohoConfig* config);

struct ValidateOptions {
  // Also check that every file the config names (annotations, image roots, vocabulary,
  // resume/init checkpoints) exists.
  bool check_files = true;
};

// Checks values and their consistency; reports every problem at once, one per line,
// each starting with the field path.
absl::Status ValidateConfig(const proto::SohoConfig& config, const ValidateOptions& options = {});

// Parse + overrides + defaults + validation. `source` errors are prefixed with `path`.
// A file of more than kMaxConfigBytes, a directory, and a file that sets nothing are errors.
absl::StatusOr<proto::SohoConfig> LoadConfig(const std::string& path,
                                             const std::vector<std::string>& overrides = {},
                                             const ValidateOptions& options = {});

// The config as text format (what --dry_run prints and runs save next to checkpoints).
std::string ConfigToText(const proto::SohoConfig& config);

}  // namespace soho::proto
