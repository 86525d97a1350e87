#include "soho/model/torch_file.h"

#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"

namespace soho::model {
namespace {

// One entry of the pickle machine's stack / memo.
struct Value {
  enum class Kind { kObject, kGlobal, kMark };
  Kind kind = Kind::kObject;
  c10::IValue object;  // kObject (None for Python objects we do not model)
  std::string global;  // kGlobal: "module.name"
};

absl::Status Corrupt(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed torch file: ", what));
}

c10::optional<at::ScalarType> StorageDtype(const std::string& global) {
  static const std::map<std::string, at::ScalarType> kTypes = {
      {"torch.FloatStorage", at::kFloat},    {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},      {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},      {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},    {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},      {"torch.BoolStorage", at::kBool},
      {"torch.ComplexFloatStorage", at::kComplexFloat},
      {"torch.ComplexDoubleStorage", at::kComplexDouble}};
  auto it = kTypes.find(global);
  if (it == kTypes.end()) return c10::nullopt;
  return it->second;
}

// Returns a 1-D tensor viewing the whole storage `key` of `numel` elements.
using StorageLoader =
    std::function<absl::StatusOr<at::Tensor>(const std::string& key, at::ScalarType, int64_t numel)>;

class PickleMachine {
 public:
  PickleMachine(const char* data, size_t size, StorageLoader loader)
      : data_(data), size_(size), loader_(std::move(loader)) {}

  // Runs one pickle (up to STOP) from the current position.
  absl::StatusOr<c10::IValue> Run();
  size_t position() const { return pos_; }

 private:
  absl::Status Need(size_t n) const {
    if (pos_ + n > size_) return Corrupt("unexpected end of pickle data");
    return absl::OkStatus();
  }
  template <typename T>
  absl::StatusOr<T> ReadLE() {
    SOHO_RETURN_IF_ERROR(Need(sizeof(T)));
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));  // x86 / ARM: little-endian hosts
    pos_ += sizeof(T);
    return value;
  }
  absl::StatusOr<std::string> ReadBytes(size_t n) {
    SOHO_RETURN_IF_ERROR(Need(n));
    std::string out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  absl::StatusOr<std::string> ReadLine() {
    const char* end = static_cast<const char*>(std::memchr(data_ + pos_, '\n', size_ - pos_));
    if (end == nullptr) return Corrupt("unterminated GLOBAL");
    std::string line(data_ + pos_, end);
    pos_ = end - data_ + 1;
    return line;
  }
  absl::StatusOr<Value> Pop() {
    if (stack_.empty()) return Corrupt("stack underflow");
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  // Pops everything above the topmost MARK (and the mark).
  absl::StatusOr<std::vector<Value>> PopToMark() {
    for (size_t i = stack_.size(); i-- > 0;) {
      if (stack_[i].kind == Value::Kind::kMark) {
        std::vector<Value> items(std::make_move_iterator(stack_.begin() + i + 1),
                                 std::make_move_iterator(stack_.end()));
        stack_.resize(i);
        return items;
      }
    }
    return Corrupt("MARK not found");
  }
  void Push(c10::IValue v) { stack_.push_back(Value{Value::Kind::kObject, std::move(v), {}}); }

  static c10::IValue MakeTuple(std::vector<Value> items) {
    std::vector<c10::IValue> elements;
    for (auto& item : items) {
      // A class inside a tuple (a storage id's storage type) is kept as its name.
      elements.push_back(item.kind == Value::Kind::kGlobal ? c10::IValue(item.global)
                                                           : std::move(item.object));
    }
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  // One opcode other than STOP, by family.
  absl::Status Execute(uint8_t op);
  absl::Status PushNumber(uint8_t op);
  absl::Status PushString(uint8_t op);
  absl::Status PushGlobal(uint8_t op);
  absl::Status Memoize(uint8_t op);
  absl::Status MemoGet(uint8_t op);
  absl::Status BuildTuple(uint8_t op);
  absl::Status Append(uint8_t op);
  absl::Status SetItem(uint8_t op);
  absl::Status ReduceTop();

  absl::Status SetItems(std::vector<Value> items);
  absl::StatusOr<c10::IValue> Reduce(const Value& callable, const c10::IValue& args);
  absl::StatusOr<c10::IValue> PersistentLoad(const c10::IValue& pid);

  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  StorageLoader loader_;
  std::vector<Value> stack_;
  std::map<int64_t, Value> memo_;
};

absl::Status PickleMachine::SetItems(std::vector<Value> items) {
  if (items.size() % 2 != 0) return Corrupt("odd number of dict items");
  if (stack_.empty() || !stack_.back().object.isGenericDict()) {
    // Items set on an object we do not model are dropped.
    return absl::OkStatus();
  }
  c10::impl::GenericDict dict = stack_.back().object.toGenericDict();
  for (size_t i = 0; i < items.size(); i += 2) {
    dict.insert_or_assign(std::move(items[i].object), std::move(items[i + 1].object));
  }
  return absl::OkStatus();
}

absl::StatusOr<c10::IValue> PickleMachine::PersistentLoad(const c10::IValue& pid) {
  // ('storage', storage_type, key, location, numel[, view_metadata])
  if (!pid.isTuple()) return Corrupt("persistent id is not a tuple");
  const auto& e = pid.toTupleRef().elements();
  if (e.size() < 5 || !e[0].isString() || e[0].toStringRef() != "storage" || !e[2].isString() ||
      !e[4].isInt()) {
    return Corrupt("unsupported persistent id");
  }
  if (e.size() > 5 && !e[5].isNone()) return Corrupt("storage views are not supported");
  // e[1] was a GLOBAL, kept in the tuple as its name.
  const c10::optional<at::ScalarType> dtype =
      e[1].isString() ? StorageDtype(e[1].toStringRef()) : c10::nullopt;
  if (!dtype) return Corrupt("unknown storage type");
  SOHO_ASSIGN_OR_RETURN(at::Tensor storage, loader_(e[2].toStringRef(), *dtype, e[4].toInt()));
  return storage;
}

absl::StatusOr<c10::IValue> PickleMachine::Reduce(const Value& callable, const c10::IValue& args) {
  if (callable.kind != Value::Kind::kGlobal) return c10::IValue();
  const std::string& name = callable.global;
  if (name == "collections.OrderedDict") {
    return c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get());
  }
  if (!args.isTuple()) return c10::IValue();
  const auto& a = args.toTupleRef().elements();
  if (name == "torch._utils._rebuild_tensor_v2") {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (a.size() < 4 || !a[0].isTensor() || !a[1].isInt()) return Corrupt("bad tensor record");
    auto to_ints = [](const c10::IValue& v) {
      std::vector<int64_t> out;
      for (const auto& x : v.toTupleRef().elements()) out.push_back(x.toInt());
      return out;
    };
    const at::Tensor& storage = a[0].toTensor();
    const std::vector<int64_t> sizes = to_ints(a[2]), strides = to_ints(a[3]);
    int64_t last = a[1].toInt();
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] == 0) last = -1;
      if (last >= 0) last += (sizes[i] - 1) * strides[i];
    }
    if (last >= storage.numel()) return Corrupt("tensor exceeds its storage");
    return at::empty({0}, storage.options()).set_(storage.storage(), a[1].toInt(), sizes, strides);
  }
  if (name == "torch._utils._rebuild_parameter" && !a.empty() && a[0].isTensor()) return a[0];
  // LibTorch's own pickler (torch::pickle_save) wraps typed containers: restore_type_tag(obj,
  // "Dict[str, Any]") and build_intlist / build_doublelist / ... (list); the object is the
  // first argument.
  if ((name == "torch.jit._pickle.restore_type_tag" || absl::StartsWith(name, "torch.jit._pickle.build_")) &&
      !a.empty()) {
    return a[0];
  }
  if (name == "torch.Size" && !a.empty()) return a[0];
  return c10::IValue();
}

absl::StatusOr<c10::IValue> PickleMachine::Run() {
  stack_.clear();
  memo_.clear();
  while (true) {
    SOHO_ASSIGN_OR_RETURN(const uint8_t op, ReadLE<uint8_t>());
    if (op == '.') {  // STOP
      SOHO_ASSIGN_OR_RETURN(Value v, Pop());
      return v.object;
    }
    SOHO_RETURN_IF_ERROR(Execute(op));
  }
}

absl::Status PickleMachine::Execute(uint8_t op) {
  switch (op) {
    case 0x80:  // PROTO
      return ReadLE<uint8_t>().status();
    case 0x95:  // FRAME
      return ReadLE<uint64_t>().status();
    case '(':  // MARK
      stack_.push_back(Value{Value::Kind::kMark, {}, {}});
      return absl::OkStatus();
    case ')':  // EMPTY_TUPLE
      Push(c10::ivalue::Tuple::create({}));
      return absl::OkStatus();
    case ']':  // EMPTY_LIST
      Push(c10::impl::GenericList(c10::AnyType::get()));
      return absl::OkStatus();
    case '}':  // EMPTY_DICT
      Push(c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get()));
      return absl::OkStatus();
    case 'N':  // NONE
      Push(c10::IValue());
      return absl::OkStatus();
    case 0x88:  // NEWTRUE
      Push(true);
      return absl::OkStatus();
    case 0x89:  // NEWFALSE
      Push(false);
      return absl::OkStatus();
    case 'J': case 'K': case 'M': case 0x8a: case 'G':
      return PushNumber(op);
    case 'X': case 'T': case 'B': case 0x8c: case 'U': case 'C':
      return PushString(op);
    case 'c': case 0x93:
      return PushGlobal(op);
    case 'q': case 'r': case 0x94:
      return Memoize(op);
    case 'h': case 'j':
      return MemoGet(op);
    case 't': case 0x85: case 0x86: case 0x87:
      return BuildTuple(op);
    case 'a': case 'e':
      return Append(op);
    case 's': case 'u':
      return SetItem(op);
    case 'R':
      return ReduceTop();
    case 0x81: {  // NEWOBJ cls args: an object we do not model
      SOHO_RETURN_IF_ERROR(Pop().status());
      SOHO_RETURN_IF_ERROR(Pop().status());
      Push(c10::IValue());
      return absl::OkStatus();
    }
    case 'b':  // BUILD: the state of such objects
      return Pop().status();
    case 'Q': {  // BINPERSID
      SOHO_ASSIGN_OR_RETURN(Value pid, Pop());
      SOHO_ASSIGN_OR_RETURN(c10::IValue storage, PersistentLoad(pid.object));
      Push(std::move(storage));
      return absl::OkStatus();
    }
    default:
      return Corrupt(absl::StrCat("unsupported pickle opcode 0x", absl::Hex(op)));
  }
}

absl::Status PickleMachine::PushNumber(uint8_t op) {
  switch (op) {
    case 'J': {  // BININT
      SOHO_ASSIGN_OR_RETURN(int32_t v, ReadLE<int32_t>());
      Push(int64_t{v});
      return absl::OkStatus();
    }
    case 'K': {  // BININT1
      SOHO_ASSIGN_OR_RETURN(uint8_t v, ReadLE<uint8_t>());
      Push(int64_t{v});
      return absl::OkStatus();
    }
    case 'M': {  // BININT2
      SOHO_ASSIGN_OR_RETURN(uint16_t v, ReadLE<uint16_t>());
      Push(int64_t{v});
      return absl::OkStatus();
    }
    case 0x8a: {  // LONG1: little-endian two's complement of n bytes
      SOHO_ASSIGN_OR_RETURN(uint8_t n, ReadLE<uint8_t>());
      SOHO_ASSIGN_OR_RETURN(std::string bytes, ReadBytes(n));
      if (n > 8) {  // e.g. the legacy format's magic number: not needed as a value
        Push(c10::IValue());
        return absl::OkStatus();
      }
      uint64_t v = 0;
      for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
      if (n > 0 && n < 8 && (static_cast<uint8_t>(bytes[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
      Push(static_cast<int64_t>(v));
      return absl::OkStatus();
    }
    default: {  // 'G', BINFLOAT: big-endian double
      SOHO_ASSIGN_OR_RETURN(std::string bytes, ReadBytes(8));
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(bytes[i]);
      double v;
      std::memcpy(&v, &bits, 8);
      Push(v);
      return absl::OkStatus();
    }
  }
}

absl::Status PickleMachine::PushString(uint8_t op) {
  // BINUNICODE, BINSTRING, BINBYTES have a 4-byte length; SHORT_BINUNICODE,
  // SHORT_BINSTRING, SHORT_BINBYTES a 1-byte one.
  uint32_t n = 0;
  if (op == 'X' || op == 'T' || op == 'B') {
    SOHO_ASSIGN_OR_RETURN(n, ReadLE<uint32_t>());
  } else {
    SOHO_ASSIGN_OR_RETURN(n, ReadLE<uint8_t>());
  }
  SOHO_ASSIGN_OR_RETURN(std::string s, ReadBytes(n));
  Push(std::move(s));
  return absl::OkStatus();
}

absl::Status PickleMachine::PushGlobal(uint8_t op) {
  if (op == 'c') {  // GLOBAL module\nname\n
    SOHO_ASSIGN_OR_RETURN(std::string module, ReadLine());
    SOHO_ASSIGN_OR_RETURN(std::string name, ReadLine());
    stack_.push_back(Value{Value::Kind::kGlobal, {}, module + "." + name});
    return absl::OkStatus();
  }
  // STACK_GLOBAL
  SOHO_ASSIGN_OR_RETURN(Value name, Pop());
  SOHO_ASSIGN_OR_RETURN(Value module, Pop());
  if (!name.object.isString() || !module.object.isString()) return Corrupt("bad STACK_GLOBAL");
  stack_.push_back(Value{Value::Kind::kGlobal, {}, module.object.toStringRef() + "." + name.object.toStringRef()});
  return absl::OkStatus();
}

absl::Status PickleMachine::Memoize(uint8_t op) {
  // BINPUT (1-byte index), LONG_BINPUT (4-byte index), MEMOIZE (the next index).
  int64_t index = static_cast<int64_t>(memo_.size());
  if (op == 'q') {
    SOHO_ASSIGN_OR_RETURN(uint8_t i, ReadLE<uint8_t>());
    index = i;
  } else if (op == 'r') {
    SOHO_ASSIGN_OR_RETURN(uint32_t i, ReadLE<uint32_t>());
    index = i;
  }
  if (stack_.empty()) return Corrupt("memoize on empty stack");
  memo_[index] = stack_.back();  // IValue lists/dicts are shared, as Python objects
  return absl::OkStatus();
}

absl::Status PickleMachine::MemoGet(uint8_t op) {
  // BINGET (1-byte index), LONG_BINGET (4-byte index).
  int64_t index = 0;
  if (op == 'h') {
    SOHO_ASSIGN_OR_RETURN(uint8_t i, ReadLE<uint8_t>());
    index = i;
  } else {
    SOHO_ASSIGN_OR_RETURN(uint32_t i, ReadLE<uint32_t>());
    index = i;
  }
  auto it = memo_.find(index);
  if (it == memo_.end()) return Corrupt("memo entry missing");
  stack_.push_back(it->second);
  return absl::OkStatus();
}

absl::Status PickleMachine::BuildTuple(uint8_t op) {
  if (op == 't') {  // TUPLE: everything above the mark
    SOHO_ASSIGN_OR_RETURN(auto items, PopToMark());
    Push(MakeTuple(std::move(items)));
    return absl::OkStatus();
  }
  // TUPLE1..3
  const size_t n = op - 0x84;
  if (stack_.size() < n) return Corrupt("stack underflow");
  std::vector<Value> items(std::make_move_iterator(stack_.end() - n), std::make_move_iterator(stack_.end()));
  stack_.resize(stack_.size() - n);
  Push(MakeTuple(std::move(items)));
  return absl::OkStatus();
}

absl::Status PickleMachine::Append(uint8_t op) {
  // APPEND (one item), APPENDS (everything above the mark).
  std::vector<Value> items;
  if (op == 'a') {
    SOHO_ASSIGN_OR_RETURN(Value v, Pop());
    items.push_back(std::move(v));
  } else {
    SOHO_ASSIGN_OR_RETURN(items, PopToMark());
  }
  if (stack_.empty()) return Corrupt("append without a list");
  if (stack_.back().object.isList()) {
    c10::impl::GenericList list = stack_.back().object.toList();
    for (auto& item : items) list.push_back(std::move(item.object));
  }
  return absl::OkStatus();
}

absl::Status PickleMachine::SetItem(uint8_t op) {
  // SETITEM (one key and value), SETITEMS (pairs above the mark).
  if (op == 'u') {
    SOHO_ASSIGN_OR_RETURN(auto items, PopToMark());
    return SetItems(std::move(items));
  }
  SOHO_ASSIGN_OR_RETURN(Value value, Pop());
  SOHO_ASSIGN_OR_RETURN(Value key, Pop());
  std::vector<Value> items;
  items.push_back(std::move(key));
  items.push_back(std::move(value));
  return SetItems(std::move(items));
}

absl::Status PickleMachine::ReduceTop() {
  SOHO_ASSIGN_OR_RETURN(Value args, Pop());
  SOHO_ASSIGN_OR_RETURN(Value callable, Pop());
  SOHO_ASSIGN_OR_RETURN(c10::IValue result, Reduce(callable, args.object));
  Push(std::move(result));
  return absl::OkStatus();
}

absl::StatusOr<c10::IValue> ReadZip(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    auto [pickle, pickle_size] = reader.getRecord("data.pkl");
    StorageLoader loader = [&reader](const std::string& key, at::ScalarType dtype,
                                     int64_t numel) -> absl::StatusOr<at::Tensor> {
      auto [data, nbytes] = reader.getRecord("data/" + key);
      const size_t expected = static_cast<size_t>(numel) * c10::elementSize(dtype);
      if (nbytes < expected) return Corrupt(absl::StrCat("storage ", key, " is truncated"));
      at::Storage storage(at::Storage::use_byte_size_t(), nbytes, std::move(data), nullptr, false);
      return at::empty({0}, at::TensorOptions().dtype(dtype)).set_(storage, 0, {numel}, {1});
    };
    PickleMachine machine(static_cast<const char*>(pickle.get()), pickle_size, loader);
    return machine.Run();
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(e.what_without_backtrace());
  }
}

// Legacy format: pickles of magic number, protocol, system info, the object (storages by
// key), the list of storage keys; then per key: int64 element count and the raw elements.
absl::StatusOr<c10::IValue> ReadLegacy(const std::string& contents) {
  std::map<std::string, at::Tensor> storages;
  StorageLoader loader = [&storages](const std::string& key, at::ScalarType dtype,
                                     int64_t numel) -> absl::StatusOr<at::Tensor> {
    auto it = storages.find(key);
    if (it == storages.end()) it = storages.emplace(key, at::empty({numel}, at::TensorOptions().dtype(dtype))).first;
    return it->second;
  };
  PickleMachine machine(contents.data(), contents.size(), loader);
  c10::IValue object;
  for (int i = 0; i < 5; ++i) {
    SOHO_ASSIGN_OR_RETURN(c10::IValue value, machine.Run());
    if (i == 3) object = value;
    if (i == 4) {
      if (!value.isList()) return Corrupt("legacy storage key list missing");
      size_t pos = machine.position();
      for (const c10::IValue& key : value.toListRef()) {
        auto it = storages.find(key.toStringRef());
        if (it == storages.end()) return Corrupt("unknown legacy storage key");
        at::Tensor& storage = it->second;
        const size_t nbytes = storage.numel() * storage.element_size();
        if (pos + 8 + nbytes > contents.size()) return Corrupt("legacy storage data truncated");
        int64_t numel;
        std::memcpy(&numel, contents.data() + pos, 8);
        if (numel != storage.numel()) return Corrupt("legacy storage size mismatch");
        std::memcpy(storage.data_ptr(), contents.data() + pos + 8, nbytes);
        pos += 8 + nbytes;
      }
    }
  }
  return object;
}

}  // namespace

absl::StatusOr<c10::IValue> ReadTorchFile(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  absl::StatusOr<c10::IValue> result;
  try {
    if (contents.size() >= 2 && contents[0] == 'P' && contents[1] == 'K') {
      result = ReadZip(path);
    } else {
      result = ReadLegacy(contents);
    }
  } catch (const std::exception& e) {
    // LibTorch's containers check what a corrupt pickle builds (e.g. a dict keyed by None)
    // by throwing; that is corrupt data like any other.
    result = absl::DataLossError(absl::StrCat("corrupt torch.save data (", e.what(), ")"));
  }
  if (!result.ok()) {
    return absl::Status(result.status().code(), absl::StrCat(path, ": ", result.status().message()));
  }
  return result;
}

}  // namespace soho::model
