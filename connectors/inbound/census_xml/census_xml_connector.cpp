#include "connectors/inbound/census_xml/census_xml_connector.h"

#include <charconv>
#include <map>

#include "connectors/inbound/common/batch_builder.h"
#include "connectors/inbound/common/xml_document.h"
#include "core/domain/codes.h"
#include "core/domain/field_limits.h"
#include "core/domain/upn.h"
#include "core/domain/utf8.h"

namespace markbridge {
namespace {

constexpr std::pair<const char*, const char*> kPeriods[] = {
    {"TermlyAttendance", "termly"},
    {"AnnualAttendance", "annual"},
    {"SummerHalfTerm2Attendance", "summer_half_term_2"},
};

class CensusReader {
 public:
  CensusReader(const CensusXmlConfig& config, const XmlDocument& doc, BatchBuilder& builder,
               const std::string& origin)
      : config_(config), doc_(doc), builder_(builder), origin_(origin) {}

  void readPupil(const pugi::xml_node& pupil) {
    ++builder_.batch().rows;
    auto& problems = builder_.batch().problems;
    auto ids = pupil.child("PupilIdentifiers");
    auto upnNode = ids.child("UPN");
    auto [line, column] = doc_.position(upnNode ? upnNode : pupil);
    auto upnText = doc_.boundedText(ids, "UPN", kMaxShortFieldCharacters, problems);
    if (!upnText) return;
    std::string upn(*upnText);
    if (auto problem = upnProblem(upn); !problem.empty()) {
      builder_.problem(line, column, upn, "invalid UPN: " + problem);
      return;
    }
    if (!builder_.knowsPupil(upn)) {
      auto surname = doc_.boundedText(ids, "Surname", kMaxNameCharacters, problems);
      auto forename = doc_.boundedText(ids, "Forename", kMaxNameCharacters, problems);
      auto dob = doc_.boundedText(ids, "DOB", kMaxShortFieldCharacters, problems);
      // The DfE specification puts the year group in the pupil status module.
      auto status = pupil.child("PupilStatus");
      auto year = doc_.boundedText(status, "NCyearActual", kMaxShortFieldCharacters, problems);
      if (!surname || !forename || !dob || !year) return;
      if (year->empty()) noYearGroup(pupil, upn);
      Pupil p;
      p.upn = upn;
      p.surname = *surname;
      p.forename = *forename;
      if (!dob->empty()) {
        p.dob = Date::parseIso(*dob);
        if (!p.dob) problemAt(ids.child("DOB"), std::string(*dob), "DOB must be yyyy-mm-dd");
      }
      p.year_group = *year;
      builder_.addPupil(std::move(p));
      ++seeded_;
      readOnRoll(upn, pupil);
    }
    for (const auto& [element, period] : kPeriods)
      if (auto node = pupil.child("Attendance").child(element)) readTotals(upn, node, period);
  }

  // After the last pupil: how many pupils' year group could not be read, when any.
  void finish() {
    if (missingYear_ == 0) return;
    builder_.batch().warnings.push_back(
        Problem{origin_, 0, 0, "PupilStatus/NCyearActual", "",
                "the year group could not be read for " + std::to_string(missingYear_) + " of " +
                    std::to_string(seeded_) + " pupil(s)" +
                    (missingYear_ > kListedPupils
                         ? " (the first " + std::to_string(kListedPupils) + " are listed above)"
                         : std::string()) +
                    "; they are stored without one"});
  }

 private:
  static constexpr int kListedPupils = 20;

  // PupilStatus/EntryDate (and, for a pupil no longer on roll, LeavingDate): the pupil's
  // on-roll period. A pupil on roll at the census says nothing about leaving (an older return
  // imported late must not withdraw a leaving date the MIS has since given).
  void readOnRoll(const std::string& upn, const pugi::xml_node& pupil) {
    auto status = pupil.child("PupilStatus");
    bool leaver = std::string_view(pupil.name()) == "PupilNoLongerOnRoll";
    OnRollRecord roll;
    roll.upn = upn;
    roll.line = doc_.position(pupil).first;
    roll.states_leaving = leaver;
    for (auto [name, into] : {std::pair{"EntryDate", &roll.period.admitted},
                              std::pair{"LeavingDate", &roll.period.left}}) {
      if (!leaver && into == &roll.period.left) continue;
      auto text =
          doc_.boundedText(status, name, kMaxShortFieldCharacters, builder_.batch().problems);
      if (!text) return;
      if (text->empty()) continue;
      *into = Date::parseIso(*text);
      if (!*into) {
        problemAt(status.child(name), excerptUtf8(*text),
                  std::string(name) + " must be yyyy-mm-dd");
        return;
      }
    }
    if (roll.period.admitted && roll.period.left && *roll.period.left < *roll.period.admitted) {
      problemAt(status.child("LeavingDate"), roll.period.left->iso(),
                "LeavingDate is before EntryDate (" + roll.period.admitted->iso() + ")");
      return;
    }
    if (roll.period.admitted || roll.period.left) builder_.addOnRoll(std::move(roll));
  }

  // A pupil whose PupilStatus/NCyearActual is absent or empty: a warning naming the pupil by
  // masked UPN (never by name); the pupil is still stored, without a year group.
  void noYearGroup(const pugi::xml_node& pupil, const std::string& upn) {
    if (++missingYear_ > kListedPupils) return;
    auto status = pupil.child("PupilStatus");
    auto misplaced = pupil.child("PupilCharacteristics").child("NCyearActual");
    auto [line, column] = doc_.position(misplaced ? misplaced : status ? status : pupil);
    std::string message = "pupil " + maskUpn(upn) + ": no year group at PupilStatus/NCyearActual";
    if (misplaced)
      message +=
          " (this return has NCyearActual under PupilCharacteristics; the DfE census "
          "specification puts it in PupilStatus: ask the MIS supplier)";
    builder_.batch().warnings.push_back(Problem{origin_, line, column, "", "", std::move(message)});
  }

  void problemAt(const pugi::xml_node& node, std::string value, std::string message) {
    auto [line, column] = doc_.position(node);
    builder_.problem(line, column, std::move(value), std::move(message));
  }

  // A count the return gives; 0 when the element is absent. An element that is there but empty
  // is refused: the return meant to say something and did not (never read as 0).
  int number(const pugi::xml_node& parent, const char* name) {
    auto text = childText(parent, name);
    if (text.empty()) {
      if (parent.child(name))
        problemAt(parent.child(name), "",
                  std::string(name) + " is empty: expected a whole number of sessions");
      return 0;
    }
    int value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < 0)
      problemAt(parent.child(name), excerptUtf8(text),
                std::string(name) + " must be a whole number of sessions");
    return value;
  }

  // SessionDetails: sessions per 2024 code. Any 2024 code is kept in its own category (present,
  // attending, not counted as well as absences); anything else refuses the return.
  void readReasons(const pugi::xml_node& node, AttendanceTotals& totals) {
    for (auto detail : node.child("SessionDetails").children("SessionDetail")) {
      auto reason = std::string(childText(detail, "AttendanceReason"));
      auto code = Code::fromString(reason);
      if (!code || code->isNotTaken()) {
        problemAt(detail.child("AttendanceReason"), excerptUtf8(reason),
                  "AttendanceReason must be a 2024 attendance code (see markbridge codes)");
        continue;
      }
      totals.by_reason[std::string(code->str())] += number(detail, "AbsenceSessions");
    }
  }

  // A total the return states; when it is absent, the sum of its reasons' sessions; when both
  // are there and differ, the stated total is kept and the difference is a warning.
  int statedOrDerived(const pugi::xml_node& node, const char* name, int derived, bool hasReasons) {
    auto stated = node.child(name);
    if (!stated || childText(node, name).empty()) return derived;
    int value = number(node, name);
    if (hasReasons && value != derived) {
      auto [line, column] = doc_.position(stated);
      builder_.batch().warnings.push_back(Problem{
          origin_, line, column, std::string(node.name()) + "/" + name,
          std::string(childText(node, name)),
          "the return's " + std::string(name) + " is " + std::to_string(value) +
              ", its SessionDetails give " + std::to_string(derived) + " (the total is kept)"});
    }
    return value;
  }

  void readTotals(const std::string& upn, const pugi::xml_node& node, const char* period) {
    AttendanceTotals totals;
    totals.upn = upn;
    totals.period = period;
    totals.source = config_.name;
    if (auto found = config_.periods.find(period); found != config_.periods.end()) {
      totals.from = found->second.from;
      totals.to = found->second.to;
    }
    totals.possible = number(node, "SessionsPossible");
    readReasons(node, totals);
    int authorised = 0, unauthorised = 0;
    for (const auto& [reason, sessions] : totals.by_reason) {
      auto category = Code::fromString(reason)->category();
      authorised += category == Category::Authorised ? sessions : 0;
      unauthorised += category == Category::Unauthorised ? sessions : 0;
    }
    bool hasReasons = !totals.by_reason.empty();
    totals.authorised = statedOrDerived(node, "SessionsAuthorised", authorised, hasReasons);
    totals.unauthorised = statedOrDerived(node, "SessionsUnauthorised", unauthorised, hasReasons);
    // The same pupil's figures for a period twice: identical is counted once, different refuses
    // the return (it cannot say which figures the school submitted).
    auto& all = builder_.batch().totals;
    auto [seen, first] = seen_.try_emplace({upn, period}, all.size());
    if (!first) {
      const auto& before = all[seen->second];
      if (before.possible != totals.possible || before.authorised != totals.authorised ||
          before.unauthorised != totals.unauthorised || before.by_reason != totals.by_reason)
        problemAt(node, maskUpn(upn),
                  std::string(period) +
                      " attendance is given twice for this pupil with different figures");
      return;
    }
    all.push_back(std::move(totals));
  }

  std::map<std::pair<std::string, std::string>, std::size_t> seen_;  // (upn, period) -> totals
  int seeded_ = 0;       // pupils whose details this return seeded
  int missingYear_ = 0;  // of them, without a year group
  const CensusXmlConfig& config_;
  const XmlDocument& doc_;
  BatchBuilder& builder_;
  const std::string& origin_;
};

}  // namespace

CensusXmlConnector::CensusXmlConnector(CensusXmlConfig config)
    : XmlFileConnector("Message", "School Census return"), config_(std::move(config)) {}

void CensusXmlConnector::readDocument(const XmlDocument& doc, const std::string& origin,
                                      BatchBuilder& builder, const PupilDirectory&) const {
  CensusReader reader(config_, doc, builder, origin);
  int pupils = 0;
  auto all = doc.root().child("Pupils");
  for (const char* group : {"PupilsOnRoll", "PupilsNoLongerOnRoll"}) {
    const char* each =
        std::string_view(group) == "PupilsOnRoll" ? "PupilOnRoll" : "PupilNoLongerOnRoll";
    for (auto pupil : all.child(group).children(each)) {
      if (builder.full()) break;
      reader.readPupil(pupil);
      ++pupils;
    }
  }
  reader.finish();
  if (builder.batch().ok() && pupils == 0)
    builder.problem(0, 0, "", "the return has no Pupils/PupilsOnRoll/PupilOnRoll elements");
}

std::unique_ptr<InboundConnector> buildCensusXmlConnector(const nlohmann::json& json,
                                                          const std::string& path,
                                                          const std::filesystem::path& baseDir,
                                                          const ConfigContext& context) {
  std::size_t before = context.problems->size();
  auto config = CensusXmlConfig::fromJson(json, path, baseDir, context);
  if (context.problems->size() != before) return nullptr;
  return std::make_unique<CensusXmlConnector>(std::move(config));
}

}  // namespace markbridge
