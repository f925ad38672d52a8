#include "connectors/inbound/ctf_xml/ctf_xml_connector.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "connectors/inbound/common/batch_builder.h"
#include "connectors/inbound/common/build_source.h"
#include "connectors/inbound/common/xml_document.h"
#include "core/domain/field_limits.h"
#include "core/domain/utf8.h"

namespace markbridge {
namespace {

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Totals {
  int possible = 0, authorised = 0, attended = 0, unauthorised = 0;
  void add(Code code) {
    possible += code.isPossible();
    authorised += code.category() == Category::Authorised;
    attended += code.isAttendance();
    unauthorised += code.isUnauthorised();
  }
};

class CtfReader {
 public:
  CtfReader(const CtfXmlConfig& config, const CodeMap& codes, const XmlDocument& doc,
            BatchBuilder& builder, const std::string& origin, const PupilDirectory& directory)
      : school_(doc.root().child("Header").child("SourceSchool")),
        config_(config),
        doc_(doc),
        builder_(builder),
        origin_(origin),
        normaliser_(codes, origin, config.name, nowSeconds(), &directory) {
    normaliser_.acceptAheadUntil(builder.receiver().calendarEnd());
  }

  void readPupil(const pugi::xml_node& pupil, int index) {
    ++builder_.batch().rows;
    auto& problems = builder_.batch().problems;
    auto upnNode = pupil.child("UPN");
    auto [line, column] = doc_.position(upnNode ? upnNode : pupil);
    auto upnText = doc_.boundedText(pupil, "UPN", kMaxShortFieldCharacters, problems);
    if (!upnText) return;
    auto upn = normaliser_.pupilUpn(RawField{*upnText, column}, {}, line, problems);
    if (!upn) return;
    if (!builder_.knowsPupil(*upn)) {
      auto surname = doc_.boundedText(pupil, "Surname", kMaxNameCharacters, problems);
      auto forename = doc_.boundedText(pupil, "Forename", kMaxNameCharacters, problems);
      auto dob = doc_.boundedText(pupil, "DOB", kMaxShortFieldCharacters, problems);
      if (!surname || !forename || !dob) return;
      Pupil p;
      p.upn = *upn;
      p.surname = *surname;
      p.forename = *forename;
      if (!dob->empty()) {
        p.dob = Date::parse(*dob);
        if (!p.dob) {
          auto [l, c] = doc_.position(pupil.child("DOB"));
          builder_.problem(l, c, std::string(*dob), "date of birth must be yyyy-mm-dd");
        }
      }
      builder_.addPupil(std::move(p));
      readSchoolHistory(*upn, pupil);
    }
    std::string where = "Pupil[" + std::to_string(index) + "]/Attendance/YearData";
    for (auto year : pupil.child("Attendance").children("YearData")) {
      Totals totals;
      for (auto sessions : year.children("AttendSessions")) readSessions(*upn, sessions, totals);
      checkTotals(year, totals, where);
    }
  }

 private:
  // SchoolHistory/School entries at the school the file comes from (Header/SourceSchool's LEA
  // and Estab): the pupil's on-roll periods there, with the leaving reason. Entries at other
  // schools are the pupil's past elsewhere and are not read.
  void readSchoolHistory(const std::string& upn, const pugi::xml_node& pupil) {
    auto lea = childText(school_, "LEA"), estab = childText(school_, "Estab");
    if (lea.empty() || estab.empty()) return;
    auto& problems = builder_.batch().problems;
    for (auto school : pupil.child("SchoolHistory").children("School")) {
      if (childText(school, "LEA") != lea || childText(school, "Estab") != estab) continue;
      OnRollRecord roll;
      roll.upn = upn;
      roll.line = doc_.position(school).first;
      bool readable = true;
      for (auto [name, into] : {std::pair{"EntryDate", &roll.period.admitted},
                                std::pair{"LeavingDate", &roll.period.left}}) {
        auto text = doc_.boundedText(school, name, kMaxShortFieldCharacters, problems);
        if (!text) return;
        if (text->empty()) continue;
        *into = Date::parseIso(*text);
        if (*into) continue;
        readable = false;
        auto [l, c] = doc_.position(school.child(name));
        builder_.problem(l, c, excerptUtf8(*text), std::string(name) + " must be yyyy-mm-dd");
      }
      auto reason = doc_.boundedText(school, "LeavingReason", kMaxShortFieldCharacters, problems);
      if (!reason) return;
      roll.period.leaving_reason = *reason;
      if (readable && roll.period.admitted && roll.period.left &&
          *roll.period.left < *roll.period.admitted) {
        auto [l, c] = doc_.position(school.child("LeavingDate"));
        builder_.problem(l, c, roll.period.left->iso(),
                         "LeavingDate is before EntryDate (" + roll.period.admitted->iso() + ")");
        readable = false;
      }
      if (readable && (roll.period.admitted || roll.period.left))
        builder_.addOnRoll(std::move(roll));
    }
  }

  void readSessions(const std::string& upn, const pugi::xml_node& sessions, Totals& totals) {
    auto startNode = sessions.child("AttendanceStartDate");
    auto startText = doc_.boundedText(sessions, "AttendanceStartDate", kMaxShortFieldCharacters,
                                      builder_.batch().problems);
    if (!startText) return;
    auto start = Date::parse(*startText);
    if (!start) {
      auto [l, c] = doc_.position(startNode ? startNode : sessions);
      builder_.problem(l, c, std::string(*startText), "AttendanceStartDate must be yyyy-mm-dd");
      return;
    }
    auto marksNode = sessions.child("AttendanceMarks");
    std::string_view marks = marksNode.child_value();
    // Plain variables: clang 14 (the fuzz build) cannot capture a structured binding in a lambda.
    const auto position = doc_.position(marksNode);
    const int line = position.first;
    const int column = position.second;
    bool tokens = config_.marks_form == "tokens" ||
                  (config_.marks_form == "auto" && marks.find(',') != std::string_view::npos);
    if (!withinTheAcademicYear(*start, marks, tokens, line, column)) return;
    RawMark raw;
    raw.line = line;
    raw.upn = RawField{upn, 0};
    raw.upn_resolved = true;
    std::size_t session = 0;
    auto take = [&](std::string_view code, std::size_t at) {
      if (code == "#") return;  // not in session (weekend, holiday)
      if (code.size() > kMaxShortFieldCharacters) {
        builder_.problem(line, column + static_cast<int>(at), excerptUtf8(code),
                         "a mark is longer than the limit of " +
                             std::to_string(kMaxShortFieldCharacters) + " characters");
        return;
      }
      raw.known_date = *start + static_cast<int32_t>(session / 2);
      raw.known_session = session % 2 ? Session::PM : Session::AM;
      raw.code = RawField{code, column + static_cast<int>(at)};
      std::size_t before = builder_.batch().problems.size();
      builder_.addRaw(normaliser_, raw);
      if (builder_.batch().problems.size() == before) totals.add(builder_.lastCode());
    };
    if (tokens) {
      std::size_t at = 0;
      for (;; ++session) {
        auto comma = marks.find(',', at);
        auto token = marks.substr(at, comma == std::string_view::npos ? comma : comma - at);
        while (!token.empty() && token.front() == ' ') token.remove_prefix(1), ++at;
        while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
        take(token, at);
        if (comma == std::string_view::npos) break;
        at = comma + 1;
      }
    } else {
      for (std::size_t i = 0; i < marks.size(); ++i) {
        if (marks[i] == '\n' || marks[i] == '\r' || marks[i] == '\t') continue;
        take(marks.substr(i, 1), i);
        ++session;
      }
    }
  }

  // A YearData covers one academic year: its marks may not run past 31 August of the academic
  // year their AttendanceStartDate falls in (a marks string that runs for centuries is refused
  // before any of it is read).
  bool withinTheAcademicYear(Date start, std::string_view marks, bool tokens, int line,
                             int column) {
    std::size_t sessions = 0;
    if (tokens) {
      sessions = static_cast<std::size_t>(std::count(marks.begin(), marks.end(), ',')) + 1;
    } else {
      for (char c : marks) sessions += c != '\n' && c != '\r' && c != '\t';
    }
    auto yearEnd = *Date::fromYmd(start.academicYear() + 1, 8, 31);
    auto allowed = static_cast<std::size_t>(yearEnd - start + 1) * 2;
    if (sessions <= allowed) return true;
    builder_.problem(line, column, std::to_string(sessions) + " sessions",
                     "AttendanceMarks run past " + yearEnd.iso() +
                         ", the end of the academic year this YearData covers: from " +
                         start.iso() + " there are at most " + std::to_string(allowed) +
                         " sessions (two a day, '#' for days not in session)");
    return false;
  }

  void checkTotals(const pugi::xml_node& year, const Totals& totals, const std::string& where) {
    const std::pair<const char*, int> expected[] = {{"SessionsPossible", totals.possible},
                                                    {"SessionsAuthorised", totals.authorised},
                                                    {"SessionsAttended", totals.attended},
                                                    {"SessionsUnauthorised", totals.unauthorised}};
    for (const auto& [name, counted] : expected) {
      auto text = childText(year, name);
      if (text.empty()) continue;
      int stated = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), stated);
      auto [line, column] = doc_.position(year.child(name));
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        builder_.problem(line, column, excerptUtf8(text), std::string(name) + " must be a number");
        continue;
      }
      if (stated != counted)
        builder_.batch().warnings.push_back(
            Problem{origin_, line, column, where + "/" + name, std::string(text),
                    "the file's total is " + std::to_string(stated) + ", its marks give " +
                        std::to_string(counted)});
    }
  }

  pugi::xml_node school_;  // Header/SourceSchool
  const CtfXmlConfig& config_;
  const XmlDocument& doc_;
  BatchBuilder& builder_;
  const std::string& origin_;
  MarkNormaliser normaliser_;
};

}  // namespace

CtfXmlConnector::CtfXmlConnector(CtfXmlConfig config, CodeMap codes)
    : XmlFileConnector("CTfile", "Common Transfer File"),
      config_(std::move(config)),
      codes_(std::move(codes)) {}

void CtfXmlConnector::readDocument(const XmlDocument& doc, const std::string& origin,
                                   BatchBuilder& builder, const PupilDirectory& directory) const {
  CtfReader reader(config_, codes_, doc, builder, origin, directory);
  int index = 0;
  for (auto pupil : doc.root().child("CTFpupilData").children("Pupil")) {
    if (builder.full()) break;
    reader.readPupil(pupil, ++index);
  }
  if (builder.batch().ok() && index == 0)
    builder.problem(0, 0, "", "the file has no CTFpupilData/Pupil elements");
}

std::unique_ptr<InboundConnector> buildCtfXmlConnector(const nlohmann::json& json,
                                                       const std::string& path,
                                                       const std::filesystem::path& baseDir,
                                                       const ConfigContext& context) {
  return buildFileSource<CtfXmlConfig>(
      json, path, baseDir, context, [](CtfXmlConfig config, CodeMap codes) {
        return std::make_unique<CtfXmlConnector>(std::move(config), std::move(codes));
      });
}

}  // namespace markbridge
