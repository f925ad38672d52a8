#pragma once
// CSV exports of marks, in either layout, for every CSV-speaking MIS:
// - long: one row per pupil-session (Date, Session and Mark/Code columns, any order, header
//   case and spacing free), with optional Minutes Late, DOB, pupil flag and Status columns;
// - grid: one row per pupil, the pupil columns then one column per session headed
//   `dd/mm/yyyy AM` (or `Mon 02/09/2024 PM`); an empty cell or `-` is a missing mark.
// A blank code with a Status (Class Charts) takes its code from the status map.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/inbound/common/source_config.h"
#include "connectors/inbound/common/text_feed.h"
#include "connectors/inbound/inbound_connector.h"
#include "mapping/code_map.h"

namespace markbridge {

struct CsvMarksSettings {
  std::string source;  // the connector's name
  int priority = 0;
  FileSourceConfig inputs;  // files and drop folder
  std::shared_ptr<const CsvOptions> csv;
  std::string layout = "auto";                    // auto | long | grid
  std::map<std::string, std::string> status_map;  // normalised status -> code ("/\\": by session)
  std::vector<std::string> ignore_columns;        // grid: headers neither pupil nor session
};

class CsvMarksConnector : public InboundConnector {
 public:
  CsvMarksConnector(CsvMarksSettings settings, CodeMap codes);
  const std::string& name() const override { return settings_.source; }
  void pull(ImportReceiver& into) override;
  void read(const std::filesystem::path& file, ImportReceiver& into) override;
  // Parses a feed (a file block by block, or bytes in memory): `origin` names it in messages;
  // an empty `fingerprint` is taken from the feed.
  void parse(TextFeed& feed, const std::string& origin, ImportReceiver& into,
             const std::string& fingerprint = "") const;
  // Parses bytes already read, gathered whole (tests and fuzzing).
  ImportBatch parse(std::string_view bytes, const std::string& origin) const;
  const CodeMap* codes() const override { return &codes_; }

 private:
  CsvMarksSettings settings_;
  CodeMap codes_;
};

class BatchBuilder;
struct CsvRecord;

// The long/grid row logic of the CSV marks reader (column finding, pupils, the admission register,
// marks through the code map), for a format whose rows are already split into fields but are not
// CSV lines: SIMS CommandReporter XML (connectors/inbound/sims_reporter) builds a header from its
// Records' element names and one record per Record. A problem's column is the 1-based field.
class MarkRowReader {
 public:
  MarkRowReader(const CsvMarksSettings& settings, const CodeMap& codes, BatchBuilder& builder,
                const std::string& origin, const PupilDirectory& directory);
  ~MarkRowReader();
  MarkRowReader(const MarkRowReader&) = delete;
  MarkRowReader& operator=(const MarkRowReader&) = delete;
  // False (with problems) when a required field is missing or one is repeated.
  bool readHeader(const CsvRecord& header);
  void readRow(const CsvRecord& row);

 private:
  struct Rows;  // the CSV reader's own row logic (csv_marks.cpp)
  std::unique_ptr<Rows> rows_;
};

// `Mon 02/09/2024 AM`, `02/09/2024 PM`, `2024-09-02 AM`: a grid layout's session column.
std::optional<std::pair<Date, Session>> parseSessionHeader(std::string_view header);

}  // namespace markbridge
