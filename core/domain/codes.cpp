#include "core/domain/codes.h"

#include <array>

namespace markbridge {
namespace {

using enum Category;

// Index 0 is the "no mark" value so that a default Code means "register not taken".
constexpr std::array<CodeInfo, 35> kCodes{{
    {"-", "no mark: register not taken", NotTaken},
    {"/", "present, morning", Present},
    {"\\", "present, afternoon", Present},
    {"L", "late, arrived before register closed", Present},
    {"K", "education provision arranged by the local authority", Attending},
    {"V", "educational visit or trip", Attending},
    {"P", "approved sporting activity", Attending},
    {"W", "work experience", Attending},
    {"B", "other approved educational activity", Attending},
    {"D", "dual registered, at the other school", NotCounted},
    {"C1", "regulated performance or employment abroad", Authorised},
    {"M", "medical or dental appointment", Authorised},
    {"J1", "interview", Authorised},
    {"S", "study leave", Authorised},
    {"X", "non-compulsory school age, not required to attend", NotCounted},
    {"C2", "part-time timetable", Authorised},
    {"C", "exceptional circumstances", Authorised},
    {"T", "parent travelling for occupational purposes", Authorised},
    {"R", "religious observance", Authorised},
    {"I", "illness (not medical or dental appointment)", Authorised},
    {"E", "suspended or excluded, no alternative provision", Authorised},
    {"Q", "lack of access arrangements", NotCounted},
    {"Y1", "unable to attend: transport not available", NotCounted},
    {"Y2", "unable to attend: widespread travel disruption", NotCounted},
    {"Y3", "unable to attend: part of school premises closed", NotCounted},
    {"Y4", "unable to attend: whole school site unexpectedly closed", NotCounted},
    {"Y5", "unable to attend: criminal justice detention", NotCounted},
    {"Y6", "unable to attend: public health guidance or law", NotCounted},
    {"Y7", "unable to attend: any other unavoidable cause", NotCounted},
    {"G", "holiday not granted by the school", Unauthorised},
    {"N", "reason for absence not yet established", Unauthorised},
    {"O", "absent in other or unknown circumstances", Unauthorised},
    {"U", "arrived after registers closed", Unauthorised},
    {"Z", "prospective pupil, not on admission register", NotCounted},
    {"#", "planned whole-school closure", NotCounted},
}};
constexpr std::size_t kCodeCount = kCodes.size();

}  // namespace

std::string_view toString(Category c) {
  switch (c) {
    case Present:
      return "present";
    case Attending:
      return "attending";
    case Authorised:
      return "authorised";
    case Unauthorised:
      return "unauthorised";
    case NotCounted:
      return "not counted";
    case NotTaken:
      return "not taken";
  }
  return "?";
}

std::optional<Code> Code::fromString(std::string_view code) {
  for (std::size_t i = 0; i < kCodeCount; ++i)
    if (kCodes[i].code == code) return Code(static_cast<uint8_t>(i));
  return std::nullopt;
}

std::optional<Code> Code::fromIndex(uint8_t index) {
  if (index >= kCodeCount) return std::nullopt;
  return Code(index);
}

std::span<const CodeInfo> Code::table() {
  return {kCodes.data(), kCodeCount};
}
std::string_view Code::str() const {
  return kCodes[index_].code;
}
std::string_view Code::meaning() const {
  return kCodes[index_].meaning;
}
Category Code::category() const {
  return kCodes[index_].category;
}

}  // namespace markbridge
