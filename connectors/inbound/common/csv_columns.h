#pragma once
// Finding columns in a CSV header (case, spaces and punctuation ignored; a school's own header
// names set in config win over the known spellings) and reading the pupil columns every MIS
// export carries.

#include <array>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/inbound/common/batch_builder.h"
#include "connectors/inbound/common/csv_reader.h"

namespace markbridge {

std::string normaliseHeader(std::string_view header);
bool isYes(std::string_view text);

struct ColumnSpec {
  std::string_view field;  // the key in the connector's `columns` setting
  bool required;
  std::array<std::string_view, 4> headers;  // normalised header spellings
};

// Position of each spec'd column in `header`, -1 when absent.
std::vector<int> findColumns(const CsvRecord& header, std::span<const ColumnSpec> specs,
                             const std::map<std::string, std::string>& configured);
// Whether `header` names one of `specs` (the first such column or a repeat of it).
bool namesAnyOf(std::string_view header, std::span<const ColumnSpec> specs,
                const std::map<std::string, std::string>& configured);
// Reports each column that repeats one the reader takes (`Mark,Mark`): the file is refused, as
// the gateway cannot know which of the two the school meant. True when none repeats.
bool refuseRepeatedColumns(const CsvRecord& header, std::span<const ColumnSpec> specs,
                           const std::map<std::string, std::string>& configured,
                           BatchBuilder& builder);
// Reports each required column the header lacks; true when none is missing.
bool requireColumns(const std::vector<int>& at, std::span<const ColumnSpec> specs, int line,
                    BatchBuilder& builder);

// The pupil columns of MIS exports, by their `columns` keys.
enum PupilColumn {
  UpnColumn,
  MisIdColumn,
  SurnameColumn,
  ForenameColumn,
  RegGroupColumn,
  YearColumn,
  DobColumn,
  SenColumn,
  EhcpColumn,
  ClaColumn,
  CpColumn,
  CinColumn,
  FsmColumn,
  PpColumn,
  AdmissionDateColumn,  // the admission register (see on_roll.h); any of the four may be absent
  LeavingDateColumn,
  LeavingReasonColumn,
  DestinationColumn,
  PupilColumnCount
};
std::span<const ColumnSpec> pupilColumnSpecs();

// A row's text in column `at` (empty when the column is absent), with its 1-based position.
RawField cell(const CsvRecord& record, int at);
// The pupil a row describes, positions as found for pupilColumnSpecs().
Pupil pupilFromRow(const std::string& upn, const CsvRecord& record, const std::vector<int>& at,
                   BatchBuilder& builder);
// When the header has an admission or leaving date column, the row's on-roll period, read from
// every row (a long export repeats it on each): a date that cannot be read is a problem naming
// line, column and value; rows that disagree about one period are refused (BatchBuilder).
void rollFromRow(const std::string& upn, const CsvRecord& record, const std::vector<int>& at,
                 BatchBuilder& builder);

}  // namespace markbridge
