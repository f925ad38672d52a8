#include "connectors/inbound/common/csv_columns.h"

#include <algorithm>

namespace markbridge {
namespace {

constexpr ColumnSpec kPupilColumns[PupilColumnCount] = {
    {"upn", false, {"upn"}},
    {"adno", false, {"adno", "admissionnumber", "misid", "studentid"}},
    {"surname", false, {"legalsurname", "surname", "lastname"}},
    {"forename", false, {"legalforename", "forename", "firstname"}},
    {"reg_group", false, {"reggroup", "registrationgroup", "form", "tutorgroup"}},
    {"year", false, {"year", "yeargroup", "ncyear"}},
    {"dob", false, {"dob", "dateofbirth"}},
    {"sen", false, {"sen"}},
    {"ehcp", false, {"ehcp"}},
    {"cla", false, {"cla", "lookedafter"}},
    {"cp", false, {"cp", "childprotection"}},
    {"cin", false, {"cin", "childinneed"}},
    {"fsm", false, {"fsm", "freeschoolmeals"}},
    {"pp", false, {"pp", "pupilpremium"}},
    {"admission_date", false, {"admissiondate", "dateofadmission", "entrydate", "admitted"}},
    {"leaving_date", false, {"dateofleaving", "leavingdate", "leftdate", "dateleft"}},
    {"leaving_reason", false, {"reasonforleaving", "leavingreason", "deletionground"}},
    {"destination", false, {"destination", "nextschool", "destinationschool", "leavingto"}},
};

}  // namespace

std::string normaliseHeader(std::string_view header) {
  std::string key;
  for (char c : header) {
    if (c == ' ' || c == '_' || c == '.' || c == '-' || c == '\t') continue;
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

bool isYes(std::string_view text) {
  std::string key = normaliseHeader(text);
  return key == "y" || key == "yes" || key == "true" || key == "1";
}

namespace {

// Whether the normalised header `name` is spec's column (the school's own name set in config
// wins over the known spellings).
bool names(const ColumnSpec& spec, const std::string& name,
           const std::map<std::string, std::string>& configured) {
  auto own = configured.find(std::string(spec.field));
  return own != configured.end()
             ? normaliseHeader(own->second) == name
             : std::find(spec.headers.begin(), spec.headers.end(), name) != spec.headers.end();
}

}  // namespace

std::vector<int> findColumns(const CsvRecord& header, std::span<const ColumnSpec> specs,
                             const std::map<std::string, std::string>& configured) {
  std::vector<int> at(specs.size(), -1);
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = normaliseHeader(header.fields[i]);
    for (std::size_t c = 0; c < specs.size(); ++c)
      if (at[c] < 0 && names(specs[c], name, configured)) at[c] = static_cast<int>(i);
  }
  return at;
}

bool namesAnyOf(std::string_view header, std::span<const ColumnSpec> specs,
                const std::map<std::string, std::string>& configured) {
  std::string name = normaliseHeader(header);
  return std::any_of(specs.begin(), specs.end(),
                     [&](const ColumnSpec& spec) { return names(spec, name, configured); });
}

bool refuseRepeatedColumns(const CsvRecord& header, std::span<const ColumnSpec> specs,
                           const std::map<std::string, std::string>& configured,
                           BatchBuilder& builder) {
  bool ok = true;
  std::vector<int> first(specs.size(), -1);
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = normaliseHeader(header.fields[i]);
    for (std::size_t c = 0; c < specs.size(); ++c) {
      if (!names(specs[c], name, configured)) continue;
      if (first[c] < 0) {
        first[c] = static_cast<int>(i);
        continue;
      }
      ok = false;
      builder.problem(header.line, static_cast<int>(i) + 1, std::string(header.fields[i]),
                      "column " + std::to_string(i + 1) + " is a second " +
                          std::string(specs[c].field) + " column (column " +
                          std::to_string(first[c] + 1) + " \"" +
                          std::string(header.fields[static_cast<std::size_t>(first[c])]) +
                          "\" is the first): the gateway cannot know which one the school "
                          "meant, so the file is refused");
    }
  }
  return ok;
}

bool requireColumns(const std::vector<int>& at, std::span<const ColumnSpec> specs, int line,
                    BatchBuilder& builder) {
  bool ok = true;
  for (std::size_t c = 0; c < specs.size(); ++c) {
    if (!specs[c].required || at[c] >= 0) continue;
    ok = false;
    builder.problem(line, 0, std::string(specs[c].field),
                    "the header has no column for this required field (set columns." +
                        std::string(specs[c].field) + " if the export names it differently)");
  }
  return ok;
}

std::span<const ColumnSpec> pupilColumnSpecs() {
  return kPupilColumns;
}

RawField cell(const CsvRecord& record, int at) {
  if (at < 0 || static_cast<std::size_t>(at) >= record.fields.size()) return RawField{{}, 0};
  return RawField{record.fields[static_cast<std::size_t>(at)], at + 1};
}

Pupil pupilFromRow(const std::string& upn, const CsvRecord& record, const std::vector<int>& at,
                   BatchBuilder& builder) {
  auto text = [&](int c) { return std::string(cell(record, at[c]).text); };
  Pupil pupil;
  pupil.upn = upn;
  pupil.mis_id = text(MisIdColumn);
  pupil.surname = text(SurnameColumn);
  pupil.forename = text(ForenameColumn);
  pupil.reg_group = text(RegGroupColumn);
  pupil.year_group = text(YearColumn);
  if (auto dob = cell(record, at[DobColumn]); !dob.text.empty()) {
    pupil.dob = Date::parse(dob.text);
    if (!pupil.dob)
      builder.problem(record.line, dob.column, std::string(dob.text),
                      "date of birth must be dd/mm/yyyy or yyyy-mm-dd");
  }
  auto yes = [&](int c) { return isYes(cell(record, at[c]).text); };
  pupil.flags = PupilFlags{yes(SenColumn), yes(EhcpColumn), yes(ClaColumn), yes(CpColumn),
                           yes(CinColumn), yes(FsmColumn),  yes(PpColumn)};
  for (int c = SenColumn; c <= PpColumn; ++c)
    builder.batch().has_flags = builder.batch().has_flags || at[c] >= 0;
  return pupil;
}

void rollFromRow(const std::string& upn, const CsvRecord& record, const std::vector<int>& at,
                 BatchBuilder& builder) {
  if (at[AdmissionDateColumn] < 0 && at[LeavingDateColumn] < 0) return;
  auto text = [&](int c) { return std::string(cell(record, at[c]).text); };
  OnRollRecord roll;
  roll.upn = upn;
  roll.line = record.line;
  roll.states_leaving = at[LeavingDateColumn] >= 0;
  bool readable = true;
  for (auto [c, into] : {std::pair{AdmissionDateColumn, &roll.period.admitted},
                         std::pair{LeavingDateColumn, &roll.period.left}}) {
    auto date = cell(record, at[c]);
    if (date.text.find_first_not_of(" \t") == std::string_view::npos) continue;
    *into = Date::parse(date.text);
    if (*into) continue;
    readable = false;
    builder.problem(record.line, date.column, std::string(date.text),
                    std::string(c == AdmissionDateColumn ? "admission" : "leaving") +
                        " date must be dd/mm/yyyy or yyyy-mm-dd");
  }
  if (readable && roll.period.admitted && roll.period.left &&
      *roll.period.left < *roll.period.admitted) {
    readable = false;
    builder.problem(
        record.line, cell(record, at[LeavingDateColumn]).column,
        std::string(cell(record, at[LeavingDateColumn]).text),
        "the leaving date is before the admission date (" + roll.period.admitted->iso() + ")");
  }
  roll.period.leaving_reason = text(LeavingReasonColumn);
  roll.period.destination = text(DestinationColumn);
  if (readable && (roll.period.admitted || roll.period.left)) builder.addOnRoll(std::move(roll));
}

}  // namespace markbridge
