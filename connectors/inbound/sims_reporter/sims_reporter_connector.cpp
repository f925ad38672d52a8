#include "connectors/inbound/sims_reporter/sims_reporter_connector.h"

#include <algorithm>
#include <unordered_map>

#include "connectors/inbound/common/batch_builder.h"
#include "connectors/inbound/common/build_source.h"
#include "connectors/inbound/common/csv_columns.h"
#include "core/domain/field_limits.h"
#include "core/domain/utf8.h"

namespace markbridge {
namespace {

bool isDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string_view trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// `xs:schema` (any prefix): the inline schema CommandReporter writes before the Records.
bool isSchema(std::string_view name) {
  auto colon = name.find(':');
  return (colon == std::string_view::npos ? name : name.substr(colon + 1)) == "schema";
}

bool isSchemaElement(std::string_view name) {
  auto colon = name.find(':');
  return (colon == std::string_view::npos ? name : name.substr(colon + 1)) == "element";
}

// Replaces the CSV reader's words in a header problem with the report's.
void inReportWords(std::string& message) {
  for (auto [from, to] :
       {std::pair<std::string_view, std::string_view>{
            "the header has no column for this required field",
            "no Record has an element for this required field"},
        {"if the export names it differently", "to the report's caption for it"}}) {
    auto at = message.find(from);
    if (at != std::string::npos) message.replace(at, from.size(), to);
  }
}

struct Field {
  std::string name;           // decoded: "Legal Surname"
  int line = 0, column = 0;   // where it is first written
  std::size_t max_chars = 0;  // 0: only the XML loader's limit on one text
};

class ReportReader {
 public:
  ReportReader(const XmlDocument& doc, BatchBuilder& builder, const CsvMarksSettings& settings,
               const SimsReporterXmlConfig& config)
      : doc_(doc), builder_(builder), settings_(settings), config_(config) {}

  void read(const CodeMap& codes, const std::string& origin, const PupilDirectory& directory) {
    if (!survey() || !builder_.batch().ok()) return;
    if (records_.empty()) {
      refuse(doc_.root(), "SuperStarReport", "",
             "the report has no Record elements: nothing to import (a report run with no rows, "
             "or not the attendance report)");
      return;
    }
    CsvRecord header;
    header.line = headerLine_;
    for (const auto& field : fields_) header.fields.emplace_back(field.name);
    setLimits(header);
    MarkRowReader rows(settings_, codes, builder_, origin, directory);
    auto before = builder_.batch().problems.size();
    bool headerOk = rows.readHeader(header);
    for (auto i = before; i < builder_.batch().problems.size(); ++i) {
      auto& p = builder_.batch().problems[i];
      inReportWords(p.message);
      if (p.column > 0 && static_cast<std::size_t>(p.column) <= fields_.size()) {
        const auto& field = fields_[static_cast<std::size_t>(p.column) - 1];
        p.location = "Record/" + field.name;
        p.line = field.line;
        p.column = field.column;
      } else {
        p.location = "Record";
      }
    }
    if (!headerOk) return;
    CsvRecord row;
    std::vector<pugi::xml_node> nodes(fields_.size());
    int index = 0;
    for (const auto& record : records_) {
      if (builder_.full()) break;
      ++index;
      row.line = doc_.position(record).first;
      row.fields.assign(fields_.size(), std::string_view{});
      std::fill(nodes.begin(), nodes.end(), pugi::xml_node{});
      bool fits = true;
      for (auto child : record.children()) {
        if (child.type() != pugi::node_element) continue;
        auto at = static_cast<std::size_t>(rawIndex_.at(child.name()));
        auto text = trimmed(child.child_value());
        const auto& field = fields_[at];
        if (field.max_chars > 0) {
          auto length = utf8Length(text);
          if (length > field.max_chars) {
            fits = false;
            auto [line, column] = doc_.position(child);
            builder_.batch().problems.push_back(Problem{
                builder_.batch().origin, line, column, where(index, field.name),
                std::to_string(length) + " characters",
                "longer than the limit of " + std::to_string(field.max_chars) + " characters"});
            continue;
          }
        }
        row.fields[at] = dateOfMidnight(text);
        nodes[at] = child;
      }
      if (!fits) {
        ++builder_.batch().rows;
        continue;
      }
      auto problemsBefore = builder_.batch().problems.size();
      auto warningsBefore = builder_.batch().warnings.size();
      rows.readRow(row);
      locate(builder_.batch().problems, problemsBefore, index, row.line, nodes);
      locate(builder_.batch().warnings, warningsBefore, index, row.line, nodes);
    }
  }

 private:
  static std::string where(int index, const std::string& name) {
    return "Record[" + std::to_string(index) + "]" + (name.empty() ? "" : "/" + name);
  }

  // The row logic names a field by its 1-based position: give the element's line, column and
  // name instead.
  void locate(std::vector<Problem>& problems, std::size_t from, int index, int line,
              const std::vector<pugi::xml_node>& nodes) const {
    for (auto i = from; i < problems.size(); ++i) {
      auto& p = problems[i];
      auto at = static_cast<std::size_t>(p.column > 0 ? p.column - 1 : 0);
      if (p.column > 0 && at < fields_.size()) {
        p.location = where(index, fields_[at].name);
        if (p.value.size() > 10 && p.value[10] == 'T' &&
            p.message.find("date") != std::string::npos)
          p.message +=
              "; a .NET date is read only at midnight (T00:00:00): make the report's "
              "field a date, not a date and time";
        if (nodes[at]) {
          std::tie(p.line, p.column) = doc_.position(nodes[at]);
          continue;
        }
      } else {
        p.location = where(index, "");
      }
      p.line = line;
      p.column = 0;
    }
  }

  // The first pass: every child of the root is a Record or the schema; every field of a Record
  // holds text only and is given once; the fields (the report's columns) in the order first met.
  bool survey() {
    for (auto child : doc_.root().children()) {
      if (builder_.full()) return false;
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        if (isBlank(child.value())) continue;
        refuse(child, "", excerptUtf8(trimmed(child.value())),
               "text outside any Record: a CommandReporter report holds only Records");
        continue;
      }
      if (child.type() != pugi::node_element) continue;
      std::string_view name = child.name();
      if (isSchema(name)) {
        schemaFields(child);
      } else if (name == "Record") {
        if (headerLine_ == 0) headerLine_ = doc_.position(child).first;
        records_.push_back(child);
        recordFields(child, static_cast<int>(records_.size()));
      } else {
        refuse(child, excerptUtf8(name), "<" + excerptUtf8(name) + ">",
               "neither a Record nor the report's schema: its contents would be lost, so the "
               "file is refused");
      }
    }
    return true;
  }

  // The schema names every field, also one left out of every Record (empty in SIMS for every
  // row): an admission-register field the report has is stated even when it is empty.
  void schemaFields(const pugi::xml_node& node) {
    for (auto child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      std::string_view name = child.attribute("name").value();
      if (isSchemaElement(child.name()) && !name.empty() && name != "SuperStarReport" &&
          name != "Record" &&
          !child.find_child([](const pugi::xml_node& n) { return n.type() == pugi::node_element; }))
        fieldIndex(name, child);
      schemaFields(child);
    }
  }

  void recordFields(const pugi::xml_node& record, int index) {
    for (auto child : record.children()) {
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        if (!isBlank(child.value()))
          refuse(child, where(index, ""), excerptUtf8(trimmed(child.value())),
                 "text directly inside a Record: a Record holds only field elements");
        continue;
      }
      if (child.type() != pugi::node_element) continue;
      int at = fieldIndex(child.name(), child);
      if (at < 0) return;
      auto name = fields_[static_cast<std::size_t>(at)].name;
      if (child.find_child(
              [](const pugi::xml_node& n) { return n.type() == pugi::node_element; })) {
        refuse(child, where(index, name), "<" + std::string(child.name()) + ">",
               "a field holds elements: a Record's fields hold text only");
        continue;
      }
      auto& seen = seenIn_[static_cast<std::size_t>(at)];
      if (seen == index) {
        refuse(child, where(index, name), "<" + std::string(child.name()) + ">",
               name +
                   " is given twice in one Record: a single value is expected, the gateway "
                   "cannot know which one SIMS meant");
        continue;
      }
      seen = index;
    }
  }

  // The field a raw element name is, added when new; -1 (with a problem) past kMaxFields.
  int fieldIndex(std::string_view raw, const pugi::xml_node& node) {
    auto known = rawIndex_.find(raw);
    if (known != rawIndex_.end()) return known->second;
    if (raw.size() > SimsReporterXmlConnector::kMaxFieldNameBytes) {
      refuse(node, "", excerptUtf8(raw),
             "a field name longer than " +
                 std::to_string(SimsReporterXmlConnector::kMaxFieldNameBytes) +
                 " bytes: not a caption of a SIMS report");
      return -1;
    }
    auto name = decodeXmlName(raw);
    int at = -1;
    for (std::size_t i = 0; i < fields_.size(); ++i)
      if (fields_[i].name == name) at = static_cast<int>(i);
    if (at < 0) {
      if (fields_.size() >= SimsReporterXmlConnector::kMaxFields) {
        if (!tooMany_)
          refuse(node, name, excerptUtf8(name),
                 "the report has more than " +
                     std::to_string(SimsReporterXmlConnector::kMaxFields) +
                     " different fields: not an attendance report");
        tooMany_ = true;
        return -1;
      }
      auto [line, column] = doc_.position(node);
      fields_.push_back(Field{name, line, column, 0});
      seenIn_.push_back(0);
      at = static_cast<int>(fields_.size()) - 1;
    }
    rawIndex_.emplace(raw, at);
    return at;
  }

  void setLimits(const CsvRecord& header) {
    auto at = findColumns(header, pupilColumnSpecs(), config_.columns);
    for (int c = UpnColumn; c < PupilColumnCount; ++c) {
      if (at[c] < 0 || c == LeavingReasonColumn || c == DestinationColumn) continue;
      fields_[static_cast<std::size_t>(at[c])].max_chars =
          c == SurnameColumn || c == ForenameColumn ? kMaxNameCharacters : kMaxShortFieldCharacters;
    }
  }

  void refuse(const pugi::xml_node& node, std::string location, std::string value,
              std::string message) {
    auto [line, column] = doc_.position(node);
    builder_.batch().problems.push_back(Problem{builder_.batch().origin, line, column,
                                                std::move(location), std::move(value),
                                                std::move(message)});
  }

  const XmlDocument& doc_;
  BatchBuilder& builder_;
  const CsvMarksSettings& settings_;
  const SimsReporterXmlConfig& config_;
  std::vector<Field> fields_;
  std::vector<int> seenIn_;  // per field: the last Record (1-based) that gave it
  std::unordered_map<std::string_view, int> rawIndex_;  // names point into the document
  std::vector<pugi::xml_node> records_;
  int headerLine_ = 0;
  bool tooMany_ = false;
};

}  // namespace

std::string_view dateOfMidnight(std::string_view text) {
  if (text.size() < 19 || text[10] != 'T' || text.substr(11, 8) != "00:00:00") return text;
  auto date = text.substr(0, 10);
  if (!isDigits(date.substr(0, 4)) || date[4] != '-' || !isDigits(date.substr(5, 2)) ||
      date[7] != '-' || !isDigits(date.substr(8, 2)))
    return text;
  auto rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    auto zeros = rest.find_first_not_of('0', 1);
    if (zeros == 1) return text;
    rest.remove_prefix(zeros == std::string_view::npos ? rest.size() : zeros);
  }
  if (rest == "Z" || rest.empty()) return date;
  if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && isDigits(rest.substr(1, 2)) &&
      rest[3] == ':' && isDigits(rest.substr(4, 2)))
    return date;
  return text;
}

SimsReporterXmlConnector::SimsReporterXmlConnector(SimsReporterXmlConfig config, CodeMap codes)
    : XmlFileConnector("SuperStarReport", "SIMS CommandReporter report"),
      config_(std::move(config)),
      codes_(std::move(codes)) {
  auto csv = std::make_shared<CsvOptions>();
  csv->columns = config_.columns;
  rows_ = CsvMarksSettings{config_.name, config_.priority, config_, std::move(csv), "long", {}, {}};
}

void SimsReporterXmlConnector::readDocument(const XmlDocument& doc, const std::string& origin,
                                            BatchBuilder& builder,
                                            const PupilDirectory& directory) const {
  ReportReader(doc, builder, rows_, config_).read(codes_, origin, directory);
}

std::unique_ptr<InboundConnector> buildSimsReporterXmlConnector(
    const nlohmann::json& json, const std::string& path, const std::filesystem::path& baseDir,
    const ConfigContext& context) {
  return buildFileSource<SimsReporterXmlConfig>(
      json, path, baseDir, context, [](SimsReporterXmlConfig config, CodeMap codes) {
        return std::make_unique<SimsReporterXmlConnector>(std::move(config), std::move(codes));
      });
}

}  // namespace markbridge
