#pragma once
// How the SQLite store keeps the register: one row per pupil per week (Monday to Sunday, 14
// sessions) instead of one row per mark. A local authority's year is 57 million marks but under
// 9 million week rows, which is what makes importing and evaluating it fast. Each session holds
// its code, the import that wrote it (source, time and priority live on the import) and, only
// when they differ from the plain code, the code as the MIS wrote it and minutes late.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/domain/codes.h"
#include "core/domain/date.h"
#include "core/rules/register.h"

namespace markbridge {

struct WeekSlot {
  uint8_t code = 0;         // Code::index() + 1; 0 when the session has no mark
  uint32_t import = 0;      // imports.id of the import that wrote it
  std::string source_code;  // empty: the same as the code
  std::optional<int> minutes_late;
  bool empty() const { return code == 0; }
};

struct RegisterWeek {
  static constexpr int kSlots = 14;
  std::array<WeekSlot, kSlots> slots;

  static int slotOf(Date day, Session session, Date monday) {
    return (day - monday) * 2 + static_cast<int>(session);
  }
  // Column values of a register_weeks row.
  std::string codesBlob() const;
  std::string importsBlob() const;
  // The same written in place: kSlots bytes of codes, kSlots * 4 of import ids.
  void writeCodes(char* out) const;
  void writeImports(char* out) const;
  std::string extrasText() const;
  static RegisterWeek decode(std::string_view codes, std::string_view imports,
                             std::string_view extras);
};

// The code a slot holds (its index + 1).
Code codeOfSlot(uint8_t code);

// A stored week's codes (`codes`, a week row's blob: AM and PM of each day from `monday`) set in
// the pupil's register, as each store's register reads give them to the rules.
void setWeekCodes(PupilRegister& reg, Date monday, std::string_view codes);

}  // namespace markbridge
