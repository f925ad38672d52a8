#include "core/domain/upn.h"

#include <cctype>

namespace markbridge {
namespace {

// Check letters and the values of a letter in position 13 (temporary UPNs): no I, O or S.
constexpr std::string_view kLetters = "ABCDEFGHJKLMNPQRTUVWXYZ";

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

char upnCheckLetter(std::string_view upn) {
  if (upn.size() != 13) return '\0';
  int sum = 0;
  for (std::size_t pos = 2; pos <= 13; ++pos) {
    char c = upn[pos - 1];
    int value = 0;
    if (isDigit(c)) {
      value = c - '0';
    } else if (pos == 13 && kLetters.find(c) != std::string_view::npos) {
      value = static_cast<int>(kLetters.find(c));
    } else {
      return '\0';
    }
    sum += value * static_cast<int>(pos);
  }
  return kLetters[sum % 23];
}

std::string upnProblem(std::string_view upn) {
  if (upn.size() != 13) return "a UPN has 13 characters, this has " + std::to_string(upn.size());
  if (kLetters.find(upn[0]) == std::string_view::npos)
    return "the first character must be a check letter (A-Z without I, O, S)";
  for (std::size_t i = 1; i < 12; ++i)
    if (!isDigit(upn[i])) return "character " + std::to_string(i + 1) + " must be a digit";
  if (!isDigit(upn[12]) && kLetters.find(upn[12]) == std::string_view::npos)
    return "character 13 must be a digit or, in a temporary UPN, a letter (not I, O, S)";
  char expected = upnCheckLetter(upn);
  if (expected != upn[0])
    return std::string("check letter is ") + upn[0] + ", the digits call for " + expected;
  return {};
}

std::string maskUpn(std::string_view upn) {
  std::string text(upn);
  return upn.size() < 5 ? text : text.substr(0, 1) + "..." + text.substr(text.size() - 4);
}

}  // namespace markbridge
