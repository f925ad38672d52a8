// markbridge-sample-school: writes the demo school's autumn-term register as a SIMS-style long
// CSV export (UTF-8 with BOM, CRLF, quoted names). Deterministic: the same file every time.
// It holds 320 pupils in years 7-11 with realistic absence, and these planted cases:
//   - a 12-day run of unauthorised absence (N then O) in November          -> LA 10-day notice
//   - an 11-day unauthorised run that spans the October half term           -> LA 10-day notice
//   - two illness spells adding up to more than 30 I sessions               -> LA sickness notice
//   - a 9-day unauthorised run broken by one attended session (no notice)
//   - the last school day's PM register not yet taken for one form (data quality)
// and the admission register (Admission Date, Date of Leaving, Reason for Leaving, Destination;
// every pupil admitted in the September of their Year 7), with four more pupils after the 320:
//   - a joiner admitted on 11 November                                      -> LA new pupil return
//   - a leaver to another school on 18 October                              -> office task
//   (deletion)
//   - a leaver to elective home education on 29 November after 4 days of O  -> office task, and
//                                                      children missing education (open run)
//   - a pupil the spring term's daily exports no longer name                 -> children missing
//                                                                              education (vanished)
// With DAILY_DIR, also writes the daily exports of the spring term's first three school days
// (every pupil on roll but the one who vanishes) there, for the demo's later syncs.
// usage: markbridge-sample-school CALENDAR.json OUT.csv [DAILY_DIR]

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

const char* kHeader =
    "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,DOB,Admission Date,Date of Leaving,"
    "Reason for Leaving,Destination,Date,Session,Mark,Minutes Late,SEN,CLA,CP,FSM\r\n";

}  // namespace
struct Planted {
  int pupil;
  std::string from;  // first school day of the pattern
  int days;          // school days it lasts
  std::string am, pm;
};

// The pupils after the 320 (see the file comment): admission register cases, all present
// unless a run is planted.
struct RollCase {
  std::string surname, forename;
  int year;
  std::string admitted, left, reason, destination;  // ISO dates; "" when none
  std::string run_from;                             // first day of a planted run of O
  int run_days = 0;
  bool in_spring = true;  // named by the spring term's daily exports
};

const std::vector<RollCase> kRollCases = {
    {"Adeyemi", "Tolu", 9, "2024-11-11", "", "", "", "", 0, true},
    {"Novak", "Petra", 10, "2022-09-05", "2024-10-18", "Transferred to another school", "141234",
     "", 0, true},
    {"Hughes", "Dylan", 8, "2023-09-04", "2024-11-29", "Elective home education",
     "12 Park Road, Demotown", "2024-11-26", 4, true},
    {"Byrne", "Ciara", 11, "2020-09-03", "", "", "", "", 0, false},
};

std::string admissionColumns(const std::string& admitted, const std::string& left,
                             const std::string& reason, const std::string& destination) {
  auto uk = [](const std::string& iso) { return iso.empty() ? iso : ukDate(*Date::parseIso(iso)); };
  return uk(admitted) + "," + uk(left) + "," + csvField(reason) + "," + csvField(destination);
}

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: markbridge-sample-school CALENDAR.json OUT.csv [DAILY_DIR]\n";
    return 2;
  }
  auto calendar = markbridge::SchoolCalendar::load(argv[1]);
  auto termDays = calendar.schoolDays(*Date::parseIso("2024-09-01"), *Date::parseIso("2024-12-31"));
  std::ofstream out(argv[2], std::ios::binary);
  out << "\xEF\xBB\xBF" << kHeader;

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
  std::vector<std::string> allColumns;  // each pupil's columns "|" flags, for the daily exports
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
    std::string pupilColumns =
        csvField(upn) + "," + std::to_string(3000 + i) + "," + csvField(surname) + "," +
        csvField(forename) + "," + reg + "," + std::to_string(year) + "," + ukDate(dob) + "," +
        admissionColumns(Date::fromYmd(2024 - (year - 7), 9, 1)->iso(), "", "", "");
    std::string flags = std::string(sen ? "Y" : "N") + "," + (cla ? "Y" : "N") + "," +
                        (cp ? "Y" : "N") + "," + (fsm ? "Y" : "N");
    allColumns.push_back(pupilColumns + "|" + flags);
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
  // The admission register's cases, after the 320 (the random sequence above is unchanged).
  for (std::size_t c = 0; c < kRollCases.size(); ++c) {
    const auto& rc = kRollCases[c];
    int i = pupils + static_cast<int>(c);
    std::string upn = makeUpn(i + 1, 2019 + (11 - rc.year));
    std::string columns = csvField(upn) + "," + std::to_string(3000 + i) + "," +
                          csvField(rc.surname) + "," + csvField(rc.forename) + "," +
                          std::to_string(rc.year) + "A," + std::to_string(rc.year) + "," +
                          ukDate(*Date::fromYmd(2024 - rc.year - 5, 3, 1)) + "," +
                          admissionColumns(rc.admitted, rc.left, rc.reason, rc.destination);
    const std::string flags = "N,N,N,N";
    auto admitted = *Date::parseIso(rc.admitted);
    auto runFrom = termDays.end();
    if (!rc.run_from.empty())
      runFrom = std::find(termDays.begin(), termDays.end(), *Date::parseIso(rc.run_from));
    for (auto day = termDays.begin(); day != termDays.end(); ++day) {
      if (*day < admitted || (!rc.left.empty() && *day > *Date::parseIso(rc.left))) continue;
      bool run = runFrom != termDays.end() && day >= runFrom && day < runFrom + rc.run_days;
      for (bool pm : {false, true}) {
        out << columns << "," << ukDate(*day) << "," << (pm ? "PM" : "AM") << ","
            << (run  ? "O"
                : pm ? "\\"
                     : "/")
            << ",," << flags << "\r\n";
        ++rows;
      }
    }
    if (rc.in_spring && rc.left.empty()) allColumns.push_back(columns + "|" + flags);
  }
  std::cout << "sample school: " << pupils + kRollCases.size() << " pupils, " << termDays.size()
            << " school days, " << rows << " marks -> " << argv[2] << std::endl;
  if (argc == 4) {
    // The spring term's first three school days, one export each, as the MIS drops them daily.
    auto spring = calendar.schoolDays(*Date::parseIso("2025-01-01"), *Date::parseIso("2025-01-31"));
    for (std::size_t k = 0; k < 3 && k < spring.size(); ++k) {
      std::string path = std::string(argv[3]) + "/sims-export-" + spring[k].iso() + ".csv";
      std::ofstream daily(path, std::ios::binary);
      daily << "\xEF\xBB\xBF" << kHeader;
      for (const auto& line : allColumns) {
        auto bar = line.find('|');
        for (bool pm : {false, true})
          daily << line.substr(0, bar) << "," << ukDate(spring[k]) << "," << (pm ? "PM" : "AM")
                << "," << (pm ? "\\" : "/") << ",," << line.substr(bar + 1) << "\r\n";
      }
      std::cout << "daily export: " << allColumns.size() << " pupils -> " << path << std::endl;
    }
  }
  return 0;
}
