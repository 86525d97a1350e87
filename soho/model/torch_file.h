#pragma once
// Reads files written by Python's torch.save, both the zip format (PyTorch >= 1.6) and the
// legacy format (e.g. older torchvision / Hugging Face weights), into an IValue tree.
//
// Why not torch::pickle_load: LibTorch's unpickler turns every collections.OrderedDict (what
// a state_dict is) into None, rejects the SETITEM opcode (one-entry dicts) and reads only the
// zip format. This is a small pickle machine for what torch.save writes: dicts (including
// OrderedDict), lists, tuples, numbers, strings, tensors and parameters. Other Python
// objects (e.g. argparse namespaces in a checkpoint's metadata) become None.
#include <string>

#include <ATen/core/ivalue.h>

#include "absl/status/statusor.h"

namespace soho::model {

absl::StatusOr<c10::IValue> ReadTorchFile(const std::string& path);

}  // namespace soho::model
