#include "bench/bench_data.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include "core/domain/date.h"
#include "core/domain/upn.h"

namespace markbridge::bench {
namespace {

// A plausible register: most sessions present; one pupil in 20 persistently absent; illness,
// lateness, appointments and a little unauthorised absence scattered through the year.
const char* codeFor(int pupil, int session) {
  uint64_t x = static_cast<uint64_t>(pupil) * 0x9E3779B97F4A7C15ULL +
               static_cast<uint64_t>(session) * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  int roll = static_cast<int>(x % 1000);
  int absent = pupil % 20 == 7 ? 150 : 45;  // per thousand sessions
  const char* present = session % 2 ? "\\" : "/";
  if (roll >= absent) return roll < absent + 20 ? "L" : present;
  if (roll < absent / 2) return "I";
  if (roll < absent * 3 / 4) return "M";
  return roll % 2 ? "N" : "O";
}

// The same register as a later export has it, with `perThousand` of its marks changed since
// (an absence explained, a present mark made late, an unexplained one filled in).
const char* amendedCodeFor(int pupil, int session, int perThousand) {
  const char* code = codeFor(pupil, session);
  uint64_t x = static_cast<uint64_t>(pupil) * 0xD6E8FEB86659FD93ULL +
               static_cast<uint64_t>(session) * 0xA0761D6478BD642FULL;
  x ^= x >> 32;
  x *= 0xE7037ED1A0B428DBULL;
  x ^= x >> 29;
  if (static_cast<int>(x % 1000) >= perThousand) return code;
  switch (code[0]) {
    case '/':
    case '\\':
      return "L";
    case 'N':
      return "I";
    case 'O':
      return "G";
    default:
      return session % 2 ? "\\" : "/";
  }
}

// The weekdays of one school year from Monday 2 September 2024.
std::vector<Date> schoolDays(int sessions) {
  std::vector<Date> days;
  for (Date d = *Date::fromYmd(2024, 9, 2); static_cast<int>(days.size()) * 2 < sessions; d = d + 1)
    if (!d.isWeekend()) days.push_back(d);
  return days;
}

// Writes through a large buffer; std::ofstream per row is far slower than the parser.
class Output {
 public:
  explicit Output(const std::filesystem::path& path) : out_(path, std::ios::binary) {
    buffer_.reserve(kFlush + 4096);
  }
  ~Output() { flush(); }
  void put(std::string_view text) {
    buffer_ += text;
    if (buffer_.size() >= kFlush) flush();
  }
  int64_t bytes() const { return written_ + static_cast<int64_t>(buffer_.size()); }

 private:
  static constexpr std::size_t kFlush = std::size_t{1} << 22;
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    written_ += static_cast<int64_t>(buffer_.size());
    buffer_.clear();
  }
  std::ofstream out_;
  std::string buffer_;
  int64_t written_ = 0;
};

}  // namespace

Date benchDay(int session) {
  return schoolDays(session + 1).back();
}

std::string benchUpn(int serial) {
  char body[16];
  std::snprintf(body, sizeof body, "A801%04d24%03d", (serial / 1000) % 10000, serial % 1000);
  std::string upn = body;
  upn[0] = upnCheckLetter(upn);
  return upn;
}

GeneratedFile writeLongCsv(const std::filesystem::path& path, int pupils, int sessions, int first,
                           int amendedPerThousand, int firstPupil) {
  auto days = schoolDays(first + sessions);
  std::vector<std::string> ukDates;
  for (Date d : days) {
    auto iso = d.iso();
    ukDates.push_back(iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4));
  }
  GeneratedFile file{path, 0, 0};
  {
    Output out(path);
    out.put("UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\r\n");
    std::string row;
    for (int p = firstPupil; p < firstPupil + pupils; ++p) {
      std::string pupil = benchUpn(p) + "," + std::to_string(100000 + p) + ",Surname" +
                          std::to_string(p % 997) + ",Forename" + std::to_string(p % 101) +
                          ",7A,7,";
      for (int s = first; s < first + sessions; ++s) {
        row = pupil;
        row += ukDates[static_cast<std::size_t>(s / 2)];
        row += s % 2 ? ",PM," : ",AM,";
        row += amendedPerThousand > 0 ? amendedCodeFor(p, s, amendedPerThousand) : codeFor(p, s);
        row += "\r\n";
        out.put(row);
      }
      file.marks += sessions;
    }
    file.bytes = out.bytes();
  }
  return file;
}

GeneratedFile writeCtf(const std::filesystem::path& path, int pupils, int sessions) {
  auto days = schoolDays(sessions);
  Date start = days.front();
  int calendarDays = days.back() - start + 1;
  GeneratedFile file{path, 0, 0};
  Output out(path);
  out.put(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile><Header><DocumentName>Common Transfer "
      "File</DocumentName><CTFversion>24.0</CTFversion><SourceSchool><LEA>801</LEA><Estab>4000</"
      "Estab><SchoolName>Bench Academy</SchoolName><AcademicYear>2024/25</AcademicYear></"
      "SourceSchool></Header><CTFpupilData>\n");
  std::string marks;
  for (int p = 0; p < pupils; ++p) {
    marks.clear();
    int s = 0;
    for (int d = 0; d < calendarDays; ++d) {
      if ((start + d).isWeekend()) {
        marks += "##";
        continue;
      }
      for (int half = 0; half < 2; ++half, ++s) marks += codeFor(p, s)[0];
    }
    out.put("<Pupil><UPN>" + benchUpn(p) + "</UPN><Surname>Surname" + std::to_string(p % 997) +
            "</Surname><Forename>Forename" + std::to_string(p % 101) +
            "</Forename><DOB>2013-05-01</DOB><Sex>F</Sex><Attendance><YearData><Year>2024</"
            "Year><AttendSessions><AttendanceStartDate>" +
            start.iso() + "</AttendanceStartDate><AttendanceMarks>" + marks +
            "</AttendanceMarks></AttendSessions></YearData></Attendance></Pupil>\n");
    file.marks += s;
  }
  out.put("</CTFpupilData></CTfile>\n");
  file.bytes = out.bytes();
  return file;
}

}  // namespace markbridge::bench
