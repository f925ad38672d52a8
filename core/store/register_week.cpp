#include "core/store/register_week.h"

#include <charconv>

namespace markbridge {
namespace {

constexpr char kEntry = '\x1e';  // between extras entries
constexpr char kField = '\x1f';  // between an entry's fields: slot, source code, minutes late

}  // namespace

Code codeOfSlot(uint8_t code) {
  if (code == 0) return Code::notTaken();
  return Code::fromIndex(static_cast<uint8_t>(code - 1)).value_or(Code::notTaken());
}

void RegisterWeek::writeCodes(char* out) const {
  for (const auto& slot : slots) *out++ = static_cast<char>(slot.code);
}

void RegisterWeek::writeImports(char* out) const {
  for (const auto& slot : slots)
    for (int b = 0; b < 4; ++b) *out++ = static_cast<char>((slot.import >> (8 * b)) & 0xFF);
}

std::string RegisterWeek::codesBlob() const {
  std::string blob(kSlots, '\0');
  writeCodes(blob.data());
  return blob;
}

std::string RegisterWeek::importsBlob() const {
  std::string blob(kSlots * 4, '\0');
  writeImports(blob.data());
  return blob;
}

std::string RegisterWeek::extrasText() const {
  std::string text;
  for (int i = 0; i < kSlots; ++i) {
    const auto& s = slots[i];
    if (s.empty() || (s.source_code.empty() && !s.minutes_late)) continue;
    if (!text.empty()) text += kEntry;
    text += std::to_string(i);
    text += kField;
    for (char c : s.source_code) text += (c == kEntry || c == kField) ? '?' : c;
    text += kField;
    if (s.minutes_late) text += std::to_string(*s.minutes_late);
  }
  return text;
}

RegisterWeek RegisterWeek::decode(std::string_view codes, std::string_view imports,
                                  std::string_view extras) {
  RegisterWeek week;
  for (int i = 0; i < kSlots && static_cast<std::size_t>(i) < codes.size(); ++i)
    week.slots[i].code = static_cast<uint8_t>(codes[static_cast<std::size_t>(i)]);
  for (int i = 0; i < kSlots && static_cast<std::size_t>(i) * 4 + 3 < imports.size(); ++i) {
    uint32_t id = 0;
    for (int b = 0; b < 4; ++b)
      id |= static_cast<uint32_t>(static_cast<uint8_t>(
                imports[static_cast<std::size_t>(i) * 4 + static_cast<std::size_t>(b)]))
            << (8 * b);
    week.slots[i].import = id;
  }
  while (!extras.empty()) {
    auto end = extras.find(kEntry);
    auto entry = extras.substr(0, end);
    extras = end == std::string_view::npos ? std::string_view{} : extras.substr(end + 1);
    auto first = entry.find(kField);
    auto second = entry.find(kField, first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    int slot = -1;
    std::from_chars(entry.data(), entry.data() + first, slot);
    if (slot < 0 || slot >= kSlots) continue;
    week.slots[slot].source_code = std::string(entry.substr(first + 1, second - first - 1));
    auto late = entry.substr(second + 1);
    int minutes = 0;
    if (!late.empty() &&
        std::from_chars(late.data(), late.data() + late.size(), minutes).ec == std::errc())
      week.slots[slot].minutes_late = minutes;
  }
  return week;
}

void setWeekCodes(PupilRegister& reg, Date monday, std::string_view codes) {
  for (std::size_t i = 0; i < codes.size() && i < RegisterWeek::kSlots; ++i)
    if (codes[i])
      reg.set(monday + static_cast<int32_t>(i / 2), i % 2 ? Session::PM : Session::AM,
              codeOfSlot(static_cast<uint8_t>(codes[i])));
}

}  // namespace markbridge
