#include "tests/hostile/csv_table.h"

namespace markbridge::hostile {

int CsvTable::column(const std::string& header) const {
  if (rows.empty()) return -1;
  for (std::size_t i = 0; i < rows[0].size(); ++i)
    if (rows[0][i] == header) return static_cast<int>(i);
  return -1;
}

CsvTable parseCsv(const std::string& input) {
  std::string_view text = input;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  CsvTable table;
  Row row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\r') {
      continue;
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      table.rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any) {
    row.push_back(std::move(field));
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string csvField(const std::string& field, const CsvStyle& style) {
  bool quote = style.quote_all ||
               field.find_first_of(std::string("\"\r\n") + style.delimiter) != std::string::npos;
  if (!quote) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string writeCsv(const CsvTable& table, const CsvStyle& style) {
  std::string out;
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += style.delimiter;
      out += csvField(row[i], style);
    }
    out += style.eol;
  }
  return out;
}

}  // namespace markbridge::hostile
