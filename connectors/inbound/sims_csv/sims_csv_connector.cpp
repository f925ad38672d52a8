#include "connectors/inbound/sims_csv/sims_csv_connector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "connectors/inbound/common/csv_reader.h"
#include "connectors/inbound/common/source_file.h"
#include "core/domain/digest.h"
#include "core/domain/logging.h"
#include "mapping/mark_normaliser.h"
#include "mapping/text_encoding.h"

namespace markbridge {
namespace {

enum Column {
  kUpn,
  kAdno,
  kSurname,
  kForename,
  kRegGroup,
  kYear,
  kDate,
  kSession,
  kMark,
  kMinutesLate,
  kDob,
  kSen,
  kEhcp,
  kCla,
  kCp,
  kCin,
  kFsm,
  kPp,
  kColumnCount
};

struct ColumnSpec {
  std::string_view field;  // the key in the `columns` setting
  bool required;
  std::array<std::string_view, 4> headers;  // normalised header spellings
};

constexpr ColumnSpec kColumns[kColumnCount] = {
    {"upn", true, {"upn"}},
    {"adno", false, {"adno", "admissionnumber", "misid"}},
    {"surname", false, {"legalsurname", "surname", "lastname"}},
    {"forename", false, {"legalforename", "forename", "firstname"}},
    {"reg_group", false, {"reggroup", "registrationgroup", "form", "tutorgroup"}},
    {"year", false, {"year", "yeargroup", "ncyear"}},
    {"date", true, {"date"}},
    {"session", true, {"session", "ampm"}},
    {"mark", true, {"mark", "code", "attendancemark"}},
    {"minutes_late", false, {"minuteslate", "latemins", "lateminutes"}},
    {"dob", false, {"dob", "dateofbirth"}},
    {"sen", false, {"sen"}},
    {"ehcp", false, {"ehcp"}},
    {"cla", false, {"cla", "lookedafter"}},
    {"cp", false, {"cp", "childprotection"}},
    {"cin", false, {"cin", "childinneed"}},
    {"fsm", false, {"fsm", "freeschoolmeals"}},
    {"pp", false, {"pp", "pupilpremium"}},
};

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

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t kMaxProblems = 100;

}  // namespace

SimsCsvConnector::SimsCsvConnector(SimsCsvConfig config, CodeMap codes)
    : config_(std::move(config)), codes_(std::move(codes)) {}

void SimsCsvConnector::pull(const std::function<void(ImportBatch&&)>& take) {
  for (const auto& file : config_.files) take(readFile(file));
}

ImportBatch SimsCsvConnector::readFile(const std::filesystem::path& file) {
  std::string error;
  auto source = readSourceFile(file, error);
  if (!source) {
    ImportBatch batch;
    batch.source = config_.name;
    batch.origin = file.string();
    batch.problems.push_back(Problem{file.string(), 0, 0, "", "", error});
    ++counters_.failures;
    return batch;
  }
  auto batch = parse(source->bytes, file.string());
  batch.fingerprint = source->fingerprint;
  counters_.bytes += static_cast<int64_t>(source->bytes.size());
  if (batch.ok())
    counters_.records += static_cast<int64_t>(batch.marks.size());
  else
    ++counters_.failures;
  namedLogger(config_.name)
      ->info("read {}: {} rows, {} marks, {} problems", file.filename().string(), batch.rows,
             batch.marks.size(), batch.problems.size());
  return batch;
}

ImportBatch SimsCsvConnector::parse(std::string_view bytes, const std::string& origin) const {
  ImportBatch batch;
  batch.source = config_.name;
  batch.origin = origin;
  batch.fingerprint = sha256Hex(bytes);
  auto fail = [&](int line, int column, std::string value, std::string message) {
    batch.problems.push_back(
        Problem{origin, line, column, "", std::move(value), std::move(message)});
  };

  auto text = decodeToUtf8(bytes, config_.encoding);
  if (!text.error.empty()) {
    fail(0, 0, "", "cannot decode as " + std::string(toString(text.detected)) + ": " + text.error);
    return batch;
  }
  char delimiter = config_.delimiter ? config_.delimiter : CsvReader::detectDelimiter(text.utf8);
  CsvReader reader(text.utf8, delimiter);
  CsvRecord record;
  if (!reader.next(record)) {
    if (!reader.error().empty())
      fail(reader.errorLine(), 0, "", reader.error());
    else
      fail(0, 0, "", "the file is empty: expected a header line");
    return batch;
  }

  // Find each column by its configured header or by a known spelling.
  std::array<int, kColumnCount> at;
  at.fill(-1);
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    std::string header = normaliseHeader(record.fields[i]);
    for (int c = 0; c < kColumnCount; ++c) {
      auto configured = config_.columns.find(std::string(kColumns[c].field));
      bool match = configured != config_.columns.end()
                       ? normaliseHeader(configured->second) == header
                       : std::find(kColumns[c].headers.begin(), kColumns[c].headers.end(),
                                   header) != kColumns[c].headers.end();
      if (match && at[c] < 0) at[c] = static_cast<int>(i);
    }
  }
  for (int c = 0; c < kColumnCount; ++c)
    if (kColumns[c].required && at[c] < 0)
      fail(record.line, 0, std::string(kColumns[c].field),
           "the header has no column for this required field (set columns." +
               std::string(kColumns[c].field) + " if the export names it differently)");
  if (!batch.ok()) return batch;
  for (int c = kSen; c <= kPp; ++c) batch.has_flags = batch.has_flags || at[c] >= 0;

  MarkNormaliser normaliser(codes_, origin, config_.name, nowSeconds());
  std::size_t headerWidth = record.fields.size();
  std::unordered_set<std::string> pupilsSeen;
  // pupil-session -> (line, index into marks) to catch duplicated or conflicting rows.
  std::unordered_map<std::string, std::pair<int, std::size_t>> seen;
  const std::string empty;
  while (reader.next(record)) {
    ++batch.rows;
    if (batch.problems.size() >= kMaxProblems) break;
    if (record.fields.size() != headerWidth) {
      fail(record.line, 0, "",
           "has " + std::to_string(record.fields.size()) + " fields, the header has " +
               std::to_string(headerWidth));
      continue;
    }
    auto field = [&](int c) -> RawField {
      return at[c] < 0 ? RawField{empty, 0} : RawField{record.fields[at[c]], at[c] + 1};
    };
    bool review = false;
    RawMark raw{record.line,     field(kUpn),  field(kDate),
                field(kSession), field(kMark), field(kMinutesLate)};
    auto mark = normaliser.normalise(raw, batch.problems, &review);
    if (!mark) continue;

    std::string key =
        mark->upn + '|' + mark->date.iso() + '|' + std::string(toString(mark->session));
    if (auto it = seen.find(key); it != seen.end()) {
      const Mark& earlier = batch.marks[it->second.second];
      if (earlier.code != mark->code)
        fail(record.line, raw.code.column, std::string(raw.code.text),
             "conflicts with line " + std::to_string(it->second.first) + " for the same session (" +
                 std::string(earlier.source_code) + ")");
      continue;  // an identical duplicate row adds nothing
    }
    seen.emplace(key, std::pair{record.line, batch.marks.size()});
    batch.missing_marks += mark->code.isNotTaken();
    batch.review_flags += review;

    if (pupilsSeen.insert(mark->upn).second) {
      Pupil pupil;
      pupil.upn = mark->upn;
      pupil.mis_id = std::string(field(kAdno).text);
      pupil.surname = std::string(field(kSurname).text);
      pupil.forename = std::string(field(kForename).text);
      pupil.reg_group = std::string(field(kRegGroup).text);
      pupil.year_group = std::string(field(kYear).text);
      if (auto dob = field(kDob); !dob.text.empty()) {
        pupil.dob = Date::parse(dob.text);
        if (!pupil.dob)
          fail(record.line, dob.column, std::string(dob.text),
               "date of birth must be dd/mm/yyyy or yyyy-mm-dd");
      }
      pupil.flags =
          PupilFlags{isYes(field(kSen).text), isYes(field(kEhcp).text), isYes(field(kCla).text),
                     isYes(field(kCp).text),  isYes(field(kCin).text),  isYes(field(kFsm).text),
                     isYes(field(kPp).text)};
      batch.pupils.push_back(std::move(pupil));
    }
    batch.marks.push_back(std::move(*mark));
  }
  if (!reader.error().empty()) fail(reader.errorLine(), 0, "", reader.error());
  if (batch.ok() && batch.rows == 0) fail(record.line, 0, "", "the file has a header but no rows");
  return batch;
}

std::unique_ptr<InboundConnector> buildSimsCsvConnector(const nlohmann::json& json,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context) {
  std::size_t before = context.problems->size();
  auto config = SimsCsvConfig::fromJson(json, path, baseDir, context);
  auto codes = CodeMap::builtIn();
  codes.addOverrides(config.code_map, path + ".code_map", context);
  if (context.problems->size() != before) return nullptr;
  return std::make_unique<SimsCsvConnector>(std::move(config), std::move(codes));
}

}  // namespace markbridge
