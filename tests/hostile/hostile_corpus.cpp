#include <fstream>
#include <sstream>

#include "tests/hostile/hostile_case.h"

namespace markbridge::hostile {

const char* toString(Expect expect) {
  switch (expect) {
    case Expect::AcceptExact:
      return "accepted exactly";
    case Expect::Refuse:
      return "refused whole";
    case Expect::RefuseOrRepair:
      return "refused whole or repaired with a warning";
    case Expect::StoreWithWarning:
      return "stored with a warning";
    case Expect::StoreQuietly:
      return "stored without a warning";
    case Expect::NothingForTheRow:
      return "nothing stored for the row, no warning";
  }
  return "?";
}

std::string readFixture(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

namespace {

// UTF-8 to code points; the generator only feeds it valid UTF-8.
std::vector<char32_t> codePoints(const std::string& utf8) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    char32_t cp = extra == 0 ? c : extra == 1 ? c & 0x1F : extra == 2 ? c & 0x0F : c & 0x07;
    for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    out.push_back(cp);
    i += 1 + extra;
  }
  return out;
}

}  // namespace

std::string toWindows1252(const std::string& utf8) {
  std::string out;
  for (char32_t cp : codePoints(utf8)) {
    if (cp > 0xFF || (cp >= 0x80 && cp < 0xA0))
      throw std::invalid_argument("not in the Latin-1 part of Windows-1252");
    out += static_cast<char>(cp);
  }
  return out;
}

std::string toUtf16leWithBom(const std::string& utf8) {
  std::string out = "\xFF\xFE";
  auto unit = [&](char16_t u) {
    out += static_cast<char>(u & 0xFF);
    out += static_cast<char>(u >> 8);
  };
  for (char32_t cp : codePoints(utf8)) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(static_cast<char16_t>(0xD800 + (cp >> 10)));
      unit(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      unit(static_cast<char16_t>(cp));
    }
  }
  return out;
}

std::vector<HostileCase> hostileCorpus(const std::filesystem::path& fixtures, uint32_t seed) {
  Dice dice(seed);
  auto all = csvCases(fixtures, dice);
  auto xml = xmlCases(fixtures, dice);
  auto mis = misCases(dice);
  auto pages = misPageCases(fixtures, dice);
  all.insert(all.end(), std::make_move_iterator(xml.begin()), std::make_move_iterator(xml.end()));
  all.insert(all.end(), std::make_move_iterator(mis.begin()), std::make_move_iterator(mis.end()));
  all.insert(all.end(), std::make_move_iterator(pages.begin()),
             std::make_move_iterator(pages.end()));
  return all;
}

}  // namespace markbridge::hostile
