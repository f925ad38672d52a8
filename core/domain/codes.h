#pragma once
// The 2024 DfE attendance code set (SI 2024/208) and its statistical categories.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace markbridge {

enum class Category : uint8_t {
  Present,       // /, \, L
  Attending,     // approved educational activity: K, V, P, W, B
  Authorised,    // authorised absence
  Unauthorised,  // G, N, O, U
  NotCounted,    // not a possible session: D, X, Q, Y1..Y7, Z, #
  NotTaken,      // register not yet taken: a data-quality problem, never an absence
};
std::string_view toString(Category c);

struct CodeInfo {
  std::string_view code;
  std::string_view meaning;
  Category category;
};

// A canonical 2024 code. Cheap to copy: an index into the built-in table.
class Code {
 public:
  // The "no mark" value (register not taken).
  constexpr Code() = default;
  static std::optional<Code> fromString(std::string_view code);
  static Code notTaken() { return Code(); }
  // The code at `index` in table(); nothing when out of range.
  static std::optional<Code> fromIndex(uint8_t index);
  static std::span<const CodeInfo> table();

  std::string_view str() const;
  std::string_view meaning() const;
  Category category() const;
  // A possible session counts in the attendance denominator.
  bool isPossible() const { return category() != Category::NotCounted && !isNotTaken(); }
  bool isNotTaken() const { return category() == Category::NotTaken; }
  bool isUnauthorised() const { return category() == Category::Unauthorised; }
  bool isAbsence() const {
    return category() == Category::Authorised || category() == Category::Unauthorised;
  }
  bool isAttendance() const {
    return category() == Category::Present || category() == Category::Attending;
  }
  bool isIllness() const { return str() == "I"; }
  uint8_t index() const { return index_; }
  bool operator==(const Code&) const = default;

 private:
  explicit constexpr Code(uint8_t index) : index_(index) {}
  uint8_t index_ = 0;
};

}  // namespace markbridge
