#pragma once
// SIMS CommandReporter XML: what `CommandReporter.exe /REPORT:"..." /OUTPUT:file
// /OUTPUTTYPE:XML` writes for a SIMS report definition. The root <SuperStarReport> holds an
// inline schema (<xs:schema>, skipped) then one <Record> per row, each field a child element named
// after the report's caption with .NET's name encoding (`Legal_x0020_Surname`); a field that is
// empty in SIMS may be left out of a Record. One Record per pupil-session, as sims_csv's long
// layout: the same fields, the same row logic (connectors/inbound/common/csv_marks.h), the same
// code map. Dates are dd/mm/yyyy, yyyy-mm-dd or a .NET DateTime at midnight
// (`2024-09-02T00:00:00`, with or without an offset).

#include <memory>
#include <string_view>

#include "connectors/inbound/common/csv_marks.h"
#include "connectors/inbound/common/xml_file_connector.h"
#include "connectors/inbound/sims_reporter/sims_reporter_config.h"

namespace markbridge {

class SimsReporterXmlConnector : public XmlFileConnector {
 public:
  // A report with more distinct fields than this is not an attendance report: refused.
  static constexpr std::size_t kMaxFields = 128;
  // A caption longer than this (encoded) is not a SIMS report's: refused, shown cut short.
  static constexpr std::size_t kMaxFieldNameBytes = 256;

  SimsReporterXmlConnector(SimsReporterXmlConfig config, CodeMap codes);
  const CodeMap* codes() const override { return &codes_; }

 protected:
  const FileSourceConfig& source() const override { return config_; }
  void readDocument(const XmlDocument& doc, const std::string& origin, BatchBuilder& builder,
                    const PupilDirectory& directory) const override;

 private:
  SimsReporterXmlConfig config_;
  CodeMap codes_;
  CsvMarksSettings rows_;  // the long layout's settings, with this source's field mapping
};

// `2024-09-02T00:00:00` (optionally `.000`, `Z` or `+01:00`) as `2024-09-02`; any other text as
// it is (a time other than midnight is left for the date check to refuse).
std::string_view dateOfMidnight(std::string_view text);

std::unique_ptr<InboundConnector> buildSimsReporterXmlConnector(
    const nlohmann::json& config, const std::string& path, const std::filesystem::path& baseDir,
    const ConfigContext& context);

}  // namespace markbridge
