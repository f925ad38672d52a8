// markbridge-sample-school: writes the demo school's autumn-term register as a SIMS-style long
// CSV export (UTF-8 with BOM, CRLF, quoted names). Deterministic: the same file every time.
// It holds 320 pupils in years 7-11 with realistic absence, and these planted cases:
//   - a 12-day run of unauthorised absence (N then O) in November          -> LA 10-day notice
//   - an 11-day unauthorised run that spans the October half term           -> LA 10-day notice
//   - two illness spells adding up to more than 30 I sessions               -> LA sickness notice
//   - a 9-day unauthorised run broken by one attended session (no notice)
//   - the last school day's PM register not yet taken for one form (data quality)
// usage: markbridge-sample-school CALENDAR.json OUT.csv

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/domain/date.h"
#include "core/domain/upn.h"
#include "schedules/school_calendar.h"

using markbridge::Date;

namespace {

struct Rng {  // splitmix64: the same sequence on every platform
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
};

constexpr std::array<const char*, 24> kForenames = {
    "Amelia", "Oliver",   "Isla",  "George", "Ava",    "Noah",  "Zoë",   "Arthur",
    "Freya",  "Muhammad", "Ivy",   "Leo",    "Siân",   "Oscar", "Maya",  "Jack",
    "Chloé",  "Harry",    "Aoife", "Kacper", "Fatima", "Tomás", "Grace", "Ethan"};
constexpr std::array<const char*, 20> kSurnames = {
    "Smith",  "Jones",      "O'Brien-Łukasz", "Patel",    "Williams", "Brown",  "Nowak",
    "Taylor", "Davies, Jr", "Evans",          "Khan",     "Wilson",   "Thomas", "Roberts",
    "Müller", "Walker",     "Wright",         "Robinson", "Hughes",   "Green"};

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string ukDate(Date d) {
  auto iso = d.iso();
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

std::string makeUpn(int serial, int yearAllocated) {
  char body[16];
  std::snprintf(body, sizeof body, "A8014000%02d%03d", yearAllocated % 100, serial % 1000);
  std::string upn = body;
  upn[0] = markbridge::upnCheckLetter(upn);
  return upn;
}

}  // namespace
struct Planted {
  int pupil;
  std::string from;  // first school day of the pattern
  int days;          // school days it lasts
  std::string am, pm;
};

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: markbridge-sample-school CALENDAR.json OUT.csv\n";
    return 2;
  }
  auto calendar = markbridge::SchoolCalendar::load(argv[1]);
  auto termDays = calendar.schoolDays(*Date::parseIso("2024-09-01"), *Date::parseIso("2024-12-31"));
  std::ofstream out(argv[2], std::ios::binary);
  out << "\xEF\xBB\xBF"
      << "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,DOB,Date,Session,Mark,Minutes Late,"
         "SEN,CLA,CP,FSM\r\n";

  // Planted cases, on top of ordinary attendance (see the file comment).
  const std::vector<Planted> planted = {
      {5, "2024-11-11", 6, "N", "N"}, {5, "2024-11-19", 6, "O", "O"},
      {6, "2024-10-18", 6, "G", "G"}, {6, "2024-11-05", 4, "G", "G"},
      {7, "2024-09-23", 8, "I", "I"}, {7, "2024-11-18", 8, "I", "I"},
      {8, "2024-09-30", 9, "N", "N"}, {8, "2024-10-11", 1, "L", "N"},
      {8, "2024-10-14", 3, "N", "N"},
  };
  auto plantedCode = [&](int pupil, Date day, bool pm) -> const std::string* {
    for (const auto& p : planted) {
      if (p.pupil != pupil) continue;
      auto first = std::find(termDays.begin(), termDays.end(), *Date::parseIso(p.from));
      for (int k = 0; k < p.days && first + k < termDays.end(); ++k)
        if (first[k] == day) return pm ? &p.pm : &p.am;
    }
    return nullptr;
  };

  Rng rng{20240902};
  const char* absenceCodes[] = {"I", "I", "I", "I", "M", "M", "N", "O", "G", "C", "R", "U", "E"};
  const int pupils = 320;
  long rows = 0;
  for (int i = 0; i < pupils; ++i) {
    int year = 7 + i / 64;
    std::string reg = std::to_string(year) + static_cast<char>('A' + (i % 64) / 16);
    int birthYear = 2024 - year - 5;
    Date dob = *Date::fromYmd(birthYear, 9, 1) + rng.below(365);
    std::string upn = makeUpn(i + 1, 2019 + (11 - year));
    std::string surname = kSurnames[static_cast<std::size_t>(rng.below(kSurnames.size()))];
    std::string forename = kForenames[static_cast<std::size_t>(rng.below(kForenames.size()))];
    bool sen = rng.below(100) < 14, cla = i == 9 || rng.below(200) == 0,
         cp = i == 8 || rng.below(150) == 0;
    bool fsm = rng.below(100) < 24;
    int absencePercent = rng.below(10) < 7 ? 2 : rng.below(3) < 2 ? 7 : 14;
    std::string pupilColumns = csvField(upn) + "," + std::to_string(3000 + i) + "," +
                               csvField(surname) + "," + csvField(forename) + "," + reg + "," +
                               std::to_string(year) + "," + ukDate(dob);
    std::string flags = std::string(sen ? "Y" : "N") + "," + (cla ? "Y" : "N") + "," +
                        (cp ? "Y" : "N") + "," + (fsm ? "Y" : "N");
    for (Date day : termDays) {
      bool absentDay = rng.below(100) < absencePercent;
      std::string code = absenceCodes[rng.below(13)];
      bool wholeDay = rng.below(2) == 0;
      for (bool pm : {false, true}) {
        std::string mark = pm ? "\\" : "/", late;
        if (absentDay && (wholeDay || !pm))
          mark = code;
        else if (!pm && rng.below(100) < 3) {
          mark = "L";
          late = std::to_string(5 + rng.below(20));
        }
        if (auto p = plantedCode(i, day, pm)) mark = *p;
        if (pm && day == termDays.back() && reg == "11D") mark = "";  // register not yet taken
        if (mark == "L" && late.empty()) late = "12";
        out << pupilColumns << "," << ukDate(day) << "," << (pm ? "PM" : "AM") << "," << mark << ","
            << late << "," << flags << "\r\n";
        ++rows;
      }
    }
  }
  std::cout << "sample school: " << pupils << " pupils, " << termDays.size() << " school days, "
            << rows << " marks -> " << argv[2] << std::endl;
  return 0;
}
