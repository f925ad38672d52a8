#include "connectors/inbound/common/csv_marks.h"

#include <algorithm>
#include <chrono>

#include "connectors/inbound/common/batch_builder.h"
#include "connectors/inbound/common/csv_columns.h"
#include "connectors/inbound/common/drop_folder.h"
#include "connectors/inbound/common/source_file.h"

namespace markbridge {
namespace {

enum MarkColumn {
  DateColumn,
  SessionColumn,
  MarkCodeColumn,
  MinutesLateColumn,
  StatusColumn,
  MarkColumnCount
};

constexpr ColumnSpec kMarkColumns[MarkColumnCount] = {
    {"date", true, {"date"}},
    {"session", true, {"session", "ampm"}},
    {"mark", true, {"mark", "code", "attendancemark"}},
    {"minutes_late", false, {"minuteslate", "latemins", "lateminutes"}},
    {"status", false, {"status", "attendancestatus"}},
};

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A header that tries to be a session heading (digits and a date separator), valid or not.
bool looksLikeSessionHeading(std::string_view header) {
  return header.find_first_of("0123456789") != std::string_view::npos &&
         header.find_first_of("/-") != std::string_view::npos;
}

struct GridColumn {
  int at;
  Date date;
  Session session;
  std::string heading;  // as written, for problems that name the column's date
};

// Reads the rows after the header, either layout.
class CsvMarkRows {
 public:
  CsvMarkRows(const CsvMarksSettings& config, const CodeMap& codes, BatchBuilder& builder,
              const std::string& origin, const PupilDirectory& directory)
      : config_(config),
        builder_(builder),
        normaliser_(codes, origin, config.source, nowSeconds(), &directory) {
    normaliser_.acceptAheadUntil(builder.receiver().calendarEnd());
  }

  // Works out the layout from the header; false (with problems) when it fits neither, when a
  // column the reader takes is repeated, or when a grid has a column it cannot account for.
  bool readHeader(const CsvRecord& header) {
    width_ = header.fields.size();
    pupilAt_ = findColumns(header, pupilColumnSpecs(), config_.csv->columns);
    markAt_ = findColumns(header, kMarkColumns, config_.csv->columns);
    refuseRepeatedColumns(header, pupilColumnSpecs(), config_.csv->columns, builder_);
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
      auto session = parseSessionHeader(header.fields[i]);
      if (!session) continue;
      for (const auto& earlier : grid_)
        if (earlier.date == session->first && earlier.session == session->second)
          builder_.problem(header.line, static_cast<int>(i) + 1, std::string(header.fields[i]),
                           "column " + std::to_string(i + 1) + " is a second column for " +
                               session->first.iso() + " " + std::string(toString(session->second)) +
                               " (column " + std::to_string(earlier.at + 1) +
                               " is the first): the gateway cannot know which one the school "
                               "meant, so the file is refused");
      grid_.push_back(
          {static_cast<int>(i), session->first, session->second, std::string(header.fields[i])});
    }
    bool longLayout =
        markAt_[DateColumn] >= 0 && markAt_[SessionColumn] >= 0 && markAt_[MarkCodeColumn] >= 0;
    // A header with only broken session headings (`31/09/2024 AM`) is still a grid: each bad
    // heading is named rather than "no Date column".
    bool gridLike = !grid_.empty() ||
                    std::any_of(header.fields.begin(), header.fields.end(),
                                [](std::string_view h) { return looksLikeSessionHeading(h); });
    if (config_.layout == "grid" || (config_.layout == "auto" && !longLayout && gridLike)) {
      isGrid_ = !grid_.empty();
      if (!isGrid_)
        builder_.problem(header.line, 0, "",
                         "grid layout: no column is headed with a session such as "
                         "\"02/09/2024 AM\"");
      accountForGridColumns(header);
    } else {
      refuseRepeatedColumns(header, kMarkColumns, config_.csv->columns, builder_);
      requireColumns(markAt_, kMarkColumns, header.line, builder_);
    }
    if (pupilAt_[UpnColumn] < 0)
      builder_.problem(header.line, 0, "upn",
                       "the header has no column for this required field (set columns.upn if the "
                       "export names it differently)");
    return builder_.batch().ok();
  }

  void readRow(const CsvRecord& row) {
    ++builder_.batch().rows;
    if (row.fields.size() != width_) {
      builder_.problem(row.line, 0, "",
                       "has " + std::to_string(row.fields.size()) + " fields, the header has " +
                           std::to_string(width_));
      return;
    }
    RawField upnField = cell(row, pupilAt_[UpnColumn]);
    if (upnField.text.empty() || upnField.text != lastUpnText_) {
      // A new pupil's rows begin: resolve the pupil once for all of them.
      RawField misId = cell(row, pupilAt_[MisIdColumn]);
      auto upn = normaliser_.pupilUpn(upnField, misId, row.line, builder_.batch().problems);
      lastUpnText_.clear();
      if (!upn) return;
      if (!builder_.knowsPupil(*upn))
        builder_.addPupil(pupilFromRow(*upn, row, pupilAt_, builder_));
      if (!upnField.text.empty()) lastUpnText_.assign(upnField.text);
      upn_ = std::move(*upn);
    }
    rollFromRow(upn_, row, pupilAt_, builder_);
    RawMark raw;
    raw.line = row.line;
    raw.upn = RawField{upn_, upnField.column};
    raw.upn_resolved = true;
    if (!isGrid_) {
      raw.date = cell(row, markAt_[DateColumn]);
      raw.session = cell(row, markAt_[SessionColumn]);
      raw.code = cell(row, markAt_[MarkCodeColumn]);
      raw.minutes_late = cell(row, markAt_[MinutesLateColumn]);
      if (!config_.status_map.empty() && !statusAgrees(row, raw)) return;
      if (isBlank(raw.code.text) && markAt_[StatusColumn] >= 0 && !codeFromStatus(row, raw)) return;
      add(raw);
      return;
    }
    for (const auto& column : grid_) {
      raw.known_date = column.date;
      raw.known_session = column.session;
      raw.date = RawField{column.heading, column.at + 1};  // the date as written, for problems
      raw.code = cell(row, column.at);
      add(raw);
    }
  }

 private:
  void add(const RawMark& raw) { builder_.addRaw(normaliser_, raw); }

  // Every column of a grid is a pupil field, a session heading or listed in ignore_columns;
  // any other (`31/09/2024 AM`, `04/09/2024 XM`, `04/13/2024 AM`) would lose its marks, so it
  // refuses the file.
  void accountForGridColumns(const CsvRecord& header) {
    std::vector<bool> known(width_, false);
    for (int at : pupilAt_)
      if (at >= 0) known[static_cast<std::size_t>(at)] = true;
    for (const auto& column : grid_) known[static_cast<std::size_t>(column.at)] = true;
    for (std::size_t i = 0; i < width_; ++i) {
      // A repeated pupil column is reported as a repeat already.
      if (known[i] || namesAnyOf(header.fields[i], pupilColumnSpecs(), config_.csv->columns))
        continue;
      std::string name = normaliseHeader(header.fields[i]);
      bool ignored = false;
      for (const auto& skip : config_.ignore_columns)
        ignored = ignored || normaliseHeader(skip) == name;
      if (ignored) continue;
      bool looksLikeSession = looksLikeSessionHeading(header.fields[i]);
      builder_.problem(
          header.line, static_cast<int>(i) + 1, std::string(header.fields[i]),
          "column " + std::to_string(i + 1) +
              (looksLikeSession
                   ? " is not a valid session heading: a grid session column is headed with a "
                     "real date (dd/mm/yyyy or yyyy-mm-dd, optionally after the weekday) then AM "
                     "or PM, e.g. \"Mon 02/09/2024 AM\"; its marks would be lost, so the file is "
                     "refused"
                   : " is neither a pupil field nor a session heading: its contents would be "
                     "lost, so the file is refused (list it in the source's ignore_columns if it "
                     "holds no marks, or name it in columns)"));
    }
  }

  static bool isBlank(std::string_view text) {
    return text.find_first_not_of(" \t") == std::string_view::npos;
  }

  // Class Charts (a layout with a status map): a Status the map does not know refuses the file
  // even beside a Code (it may say something the Code does not); a blank Code in a file with no
  // Status column has nothing to take its code from, and is not "register not taken".
  bool statusAgrees(const CsvRecord& row, const RawMark& raw) {
    if (markAt_[StatusColumn] < 0) {
      if (!isBlank(raw.code.text)) return true;
      builder_.problem(row.line, raw.code.column, "",
                       "the Code is blank and the file has no Status column to take it from: "
                       "export the Status column, or fill in the Code");
      return false;
    }
    RawField status = cell(row, markAt_[StatusColumn]);
    if (isBlank(raw.code.text) || isBlank(status.text) ||
        config_.status_map.count(normaliseHeader(status.text)))
      return true;
    builder_.problem(row.line, status.column, std::string(status.text),
                     "this Status is not in status_map, so the gateway cannot know what it means "
                     "beside the Code");
    return false;
  }

  // A blank code with a status (Class Charts): the status map gives the code; "/\\" means
  // present, written / in the morning and \\ in the afternoon.
  bool codeFromStatus(const CsvRecord& row, RawMark& raw) {
    RawField status = cell(row, markAt_[StatusColumn]);
    auto found = config_.status_map.find(normaliseHeader(status.text));
    if (found == config_.status_map.end()) {
      builder_.problem(row.line, status.column, std::string(status.text),
                       "the Code is blank and this Status is not in status_map");
      return false;
    }
    if (found->second == "/\\") {
      auto session = parseSession(raw.session.text);
      raw.code = RawField{session == Session::PM ? "\\" : "/", status.column};
    } else {
      raw.code = RawField{found->second, status.column};
    }
    return true;
  }

  const CsvMarksSettings& config_;
  BatchBuilder& builder_;
  MarkNormaliser normaliser_;
  std::size_t width_ = 0;
  std::vector<int> pupilAt_, markAt_;
  std::vector<GridColumn> grid_;
  bool isGrid_ = false;
  std::string lastUpnText_;  // rows for one pupil come together: the UPN cell last resolved
  std::string upn_;          // and the pupil it named
};

}  // namespace

struct MarkRowReader::Rows : CsvMarkRows {
  using CsvMarkRows::CsvMarkRows;
};

MarkRowReader::MarkRowReader(const CsvMarksSettings& settings, const CodeMap& codes,
                             BatchBuilder& builder, const std::string& origin,
                             const PupilDirectory& directory)
    : rows_(std::make_unique<Rows>(settings, codes, builder, origin, directory)) {}
MarkRowReader::~MarkRowReader() = default;
bool MarkRowReader::readHeader(const CsvRecord& header) {
  return rows_->readHeader(header);
}
void MarkRowReader::readRow(const CsvRecord& row) {
  rows_->readRow(row);
}

std::optional<std::pair<Date, Session>> parseSessionHeader(std::string_view header) {
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  auto lastSpace = header.rfind(' ');
  if (lastSpace == std::string_view::npos) return std::nullopt;
  auto session = parseSession(header.substr(lastSpace + 1));
  if (!session) return std::nullopt;
  auto rest = header.substr(0, lastSpace);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (auto space = rest.rfind(' '); space != std::string_view::npos) rest.remove_prefix(space + 1);
  auto date = Date::parse(rest);
  if (!date) return std::nullopt;
  return std::pair{*date, *session};
}

CsvMarksConnector::CsvMarksConnector(CsvMarksSettings settings, CodeMap codes)
    : settings_(std::move(settings)), codes_(std::move(codes)) {}

void CsvMarksConnector::pull(ImportReceiver& into) {
  pullFiles(settings_.inputs, into,
            [&](const std::filesystem::path& file, ImportReceiver& to) { read(file, to); });
}

void CsvMarksConnector::read(const std::filesystem::path& file, ImportReceiver& into) {
  readInboundFile(
      file, settings_.source, into, counters_,
      [&](const std::filesystem::path& path, const std::string& fingerprint, ImportReceiver& to) {
        TextFeed feed(path, settings_.csv->encoding, false);
        parse(feed, path.string(), to, fingerprint);
      });
}

ImportBatch CsvMarksConnector::parse(std::string_view bytes, const std::string& origin) const {
  BatchCollector collector;
  TextFeed feed(bytes, settings_.csv->encoding);
  parse(feed, origin, collector);
  return std::move(collector.batches.back());
}

void CsvMarksConnector::parse(TextFeed& feed, const std::string& origin, ImportReceiver& into,
                              const std::string& fingerprint) const {
  BatchBuilder builder(into, settings_.source, origin, settings_.priority);
  CsvReader reader(feed, settings_.csv->delimiter);
  CsvRecord record;
  CsvMarkRows rows(settings_, codes_, builder, origin, into.directory());
  if (!reader.next(record)) {
    if (!reader.error().empty())
      builder.problem(reader.errorLine(), 0, "", reader.error());
    else
      builder.problem(0, 0, "", "the file is empty: expected a header line");
  } else if (rows.readHeader(record)) {
    while (!builder.full() && reader.next(record)) rows.readRow(record);
    if (!reader.error().empty()) builder.problem(reader.errorLine(), 0, "", reader.error());
    // A file cut short (a copy that stopped, an export still running) must not be used in part:
    // every export ends its last record with a line break.
    if (feed.fromFile() && reader.error().empty() && !builder.full() && reader.endsMidRecord())
      builder.problem(reader.lastLine(), 0, "",
                      "the file ends in the middle of a record (no line break after line " +
                          std::to_string(reader.lastLine()) +
                          "): it was cut short or is still being written, so none of it is "
                          "used; export it again (see \"Complete files\" in docs/connectors.md)");
    if (builder.batch().ok() && builder.batch().rows == 0)
      builder.problem(record.line, 0, "", "the file has a header but no rows");
  }
  if (!fingerprint.empty()) {
    builder.finish(fingerprint);
    return;
  }
  // Stopped early: read to the end so the fingerprint covers the whole input.
  for (std::string rest; feed.next(rest);) rest.clear();
  builder.finish(feed.fingerprint());
}

}  // namespace markbridge
