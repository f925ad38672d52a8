#pragma once
// A CSV file as rows of fields, for the corpus generator to mutate and write back out in another
// layout, delimiter or encoding (RFC 4180 quoting).

#include <string>
#include <vector>

namespace markbridge::hostile {

using Row = std::vector<std::string>;

struct CsvTable {
  std::vector<Row> rows;                        // rows[0] is the header
  int column(const std::string& header) const;  // -1 when absent
};

struct CsvStyle {
  char delimiter = ',';
  std::string eol = "\n";
  bool quote_all = false;
};

// UTF-8 text (BOM allowed) to rows.
CsvTable parseCsv(const std::string& text);
std::string writeCsv(const CsvTable& table, const CsvStyle& style = {});
// One field as writeCsv writes it.
std::string csvField(const std::string& field, const CsvStyle& style = {});

}  // namespace markbridge::hostile
