#pragma once
// Tied weights in a state_dict: what the checkpoint code (weights.h) needs to know about a
// model without depending on the model itself.
#include <string>

namespace soho::model {

// A state_dict key that is a second name of another module tensor (tied weights): saved as
// an equal copy, and loading either name fills the one tensor.
struct TiedWeight {
  std::string alias;
  std::string target;
};

}  // namespace soho::model
