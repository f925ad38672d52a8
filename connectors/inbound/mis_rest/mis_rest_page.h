#pragma once
// One page of a Wonde-style MIS attendance API, read into raw items by configurable field paths
// (the exact item shape varies by aggregator and `include`). Pure: no network, for tests and the
// fuzzer.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace markbridge {

// Dotted paths into each item of `data`, e.g. "attendance_code.code" or, with Wonde's
// `include`, "attendance_code.data.code".
struct MisFieldPaths {
  std::string upn = "student.upn";
  std::string mis_id = "student.mis_id";
  std::string forename = "student.forename";
  std::string surname = "student.surname";
  std::string date = "date.date";
  std::string session = "session";
  std::string code = "attendance_code.code";
  std::string updated_at = "updated_at.date";
  // The admission register, when the API gives it with the student (empty path: not read).
  std::string admission_date = "student.admission_date";
  std::string leaving_date = "student.leaving_date";
};

struct MisItem {
  int index = 0;  // 1-based position in the page's `data`
  std::string upn, mis_id, forename, surname, date, session, code, updated_at;
  std::string admission_date, leaving_date;  // yyyy-mm-dd as given (first 10 characters)
};

struct MisPage {
  std::vector<MisItem> items;
  std::optional<std::string> next;  // meta.pagination.next; nothing when it is null or absent
  std::string error;                // why the page could not be read
  // Where in the page: line and column (1-based) of a fault in the JSON text, or the JSON path
  // (`data[3].student.surname`) of a value that is refused; 0 and empty when unknown.
  int line = 0, column = 0;
  std::string location;
};

// Limits on one page, so a hostile or broken response cannot exhaust memory: a page of a few
// hundred items is well under 1 MB.
constexpr std::size_t kMaxMisPageBytes = std::size_t{8} << 20;  // 8 MiB
constexpr int kMaxMisPageDepth = 16;
constexpr std::size_t kMaxMisPageValues = 500'000;

// Refused (error set) when not JSON, over a limit, or a field is too long or holds a control
// character (forename and surname up to kMaxNameCharacters, others kMaxShortFieldCharacters).
MisPage parseMisPage(std::string_view body, const MisFieldPaths& paths);

}  // namespace markbridge
