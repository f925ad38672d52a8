#pragma once
// Turns the code an MIS wrote into a canonical 2024 code: the 2024 set itself, the legacy codes
// used before 19 August 2024, and per-connector vendor codes layered on top. An unknown code is
// never guessed: map() returns nothing and the caller rejects the record.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/domain/codes.h"
#include "core/domain/config_schema.h"

namespace markbridge {

struct MappedCode {
  Code code;
  bool review = false;  // legacy code whose 2024 meaning needs a person to check (e.g. H)
  std::string origin;   // "2024", "legacy", "missing" or "connector"
};

class CodeMap {
 public:
  // The 2024 codes, the legacy map and the missing-mark symbols.
  static CodeMap builtIn();
  // Adds connector overrides {"vendor code": "2024 code"}; "-" means "register not taken".
  // Bad targets are reported against `path`.
  void addOverrides(const std::map<std::string, std::string>& overrides, const std::string& path,
                    const ConfigContext& context);

  // Leading/trailing spaces are ignored; letters are matched in upper case. Blank = not taken.
  // Null when the code is unknown. Valid while the map lives and is not changed.
  const MappedCode* map(std::string_view sourceCode) const;
  // The effective map, sorted by source code (for `markbridge codes`).
  std::vector<std::pair<std::string, MappedCode>> entries() const;

 private:
  void set(std::string_view source, Code code, bool review, std::string origin);
  std::unordered_map<uint32_t, MappedCode> byKey_;
  std::array<std::optional<MappedCode>, 256> single_{};
};

}  // namespace markbridge
