#include "mapping/code_map.h"

#include <algorithm>
#include <cctype>

namespace markbridge {
namespace {

// Codes are at most four bytes once trimmed, so each packs into one integer key.
std::optional<uint32_t> keyOf(std::string_view code) {
  while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
  while (!code.empty() && (code.back() == ' ' || code.back() == '\r')) code.remove_suffix(1);
  if (code.size() > 4) return std::nullopt;
  uint32_t key = 0;
  for (char c : code)
    key = (key << 8) | static_cast<uint8_t>(std::toupper(static_cast<unsigned char>(c)));
  return key | (static_cast<uint32_t>(code.size()) << 29);
}

std::string fromKey(uint32_t key) {
  std::size_t size = key >> 29;
  key &= 0x1fffffffu;
  std::string code(size, ' ');
  for (std::size_t i = size; i-- > 0; key >>= 8) code[i] = static_cast<char>(key & 0xff);
  return code;
}

}  // namespace

void CodeMap::set(std::string_view source, Code code, bool review, std::string origin) {
  if (auto key = keyOf(source)) byKey_[*key] = MappedCode{code, review, std::move(origin)};
  // One-character codes (nearly every mark) are also kept in a table indexed by the byte.
  for (int b = 0; b < 256; ++b) {
    char c = static_cast<char>(b);
    auto k = keyOf(std::string_view(&c, 1));
    auto it = k ? byKey_.find(*k) : byKey_.end();
    single_[static_cast<std::size_t>(b)] =
        it == byKey_.end() ? std::nullopt : std::optional<MappedCode>(it->second);
  }
}

CodeMap CodeMap::builtIn() {
  CodeMap map;
  for (const auto& info : Code::table()) {
    auto code = *Code::fromString(info.code);
    map.set(info.code, code, false, code.isNotTaken() ? "missing" : "2024");
  }
  auto to = [](std::string_view c) { return *Code::fromString(c); };
  // Legacy codes (before 19 August 2024).
  map.set("H", to("C"), true, "legacy");  // agreed family holiday
  map.set("F", to("C"), true, "legacy");  // agreed extended holiday (withdrawn 2013)
  map.set("J", to("J1"), false, "legacy");
  map.set("Y", to("Y7"), false, "legacy");
  for (std::string_view c : {"X01", "X02", "X03", "X04", "X05", "X06", "X07"})
    map.set(c, to("X"), false, "legacy");
  for (std::string_view c : {"I01", "I02"}) map.set(c, to("I"), false, "legacy");
  // No mark / not received.
  for (std::string_view c : {"", "*", "?", "!"}) map.set(c, Code::notTaken(), false, "missing");
  return map;
}

void CodeMap::addOverrides(const std::map<std::string, std::string>& overrides,
                           const std::string& path, const ConfigContext& context) {
  for (const auto& [source, target] : overrides) {
    auto code = Code::fromString(target);
    if (!code) {
      context.add(path + "." + source, "maps to a code that is not in the 2024 set", target);
      continue;
    }
    if (!keyOf(source)) {
      context.add(path + "." + source, "a source code is at most 4 characters", source);
      continue;
    }
    set(source, *code, false, "connector");
  }
}

const MappedCode* CodeMap::map(std::string_view sourceCode) const {
  if (sourceCode.size() == 1) {
    const auto& single = single_[static_cast<uint8_t>(sourceCode[0])];
    return single ? &*single : nullptr;
  }
  auto key = keyOf(sourceCode);
  if (!key) return nullptr;
  auto it = byKey_.find(*key);
  if (it == byKey_.end()) return nullptr;
  return &it->second;
}

std::vector<std::pair<std::string, MappedCode>> CodeMap::entries() const {
  std::vector<std::pair<std::string, MappedCode>> list;
  for (const auto& [key, mapped] : byKey_) list.emplace_back(fromKey(key), mapped);
  std::sort(list.begin(), list.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return list;
}

}  // namespace markbridge
