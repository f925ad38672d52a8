// The CSV part of the corpus: SIMS long and grid exports and Class Charts exports, mutated.

#include <functional>
#include <map>
#include <set>

#include "tests/hostile/csv_table.h"
#include "tests/hostile/hostile_case.h"

namespace markbridge::hostile {
namespace {

struct CsvSource {
  std::string format;
  std::string ext;
  CsvTable table;  // clean, UTF-8
  bool grid = false;
  bool iso_dates = false;
  std::string name_column;
  std::string mark_column;  // the column a code goes in
  std::vector<std::string> bad_codes;
  std::vector<std::string> required;  // columns without which nothing can be read
};

class CsvCorpus {
 public:
  CsvCorpus(const CsvSource& source, Dice& dice, std::vector<HostileCase>& out)
      : s_(source), dice_(dice), out_(out), clean_(writeCsv(source.table)) {}

  void add(const std::string& kind, std::string bytes, Expect expect, std::string value = {},
           std::string clean = {}) {
    char number[16];
    std::snprintf(number, sizeof number, "%03d", ++numbers_[kind]);
    out_.push_back(HostileCase{s_.format, kind, s_.format + "-" + kind + "-" + number + s_.ext,
                               std::move(bytes), clean.empty() ? clean_ : std::move(clean), expect,
                               std::move(value)});
  }

  CsvTable table() const { return s_.table; }
  std::size_t rows() const { return s_.table.rows.size(); }
  std::string text(const CsvTable& t) const { return writeCsv(t); }
  std::string withCell(std::size_t r, int c, const std::string& value) const {
    auto t = table();
    t.rows[r][c] = value;
    return text(t);
  }
  // The file up to row `r`, then row `r`'s first `fields` fields and `tail` (no newline).
  std::string cutInRow(std::size_t r, std::size_t fields, const std::string& tail) const {
    CsvTable before;
    before.rows.assign(s_.table.rows.begin(), s_.table.rows.begin() + r);
    std::string out = writeCsv(before);
    for (std::size_t i = 0; i < fields; ++i) out += csvField(s_.table.rows[r][i]) + ",";
    return out + tail;
  }

  void encodings() {
    CsvStyle crlf{',', "\r\n"};
    add("enc_utf8_bom", "\xEF\xBB\xBF" + clean_, Expect::AcceptExact);
    add("enc_crlf", writeCsv(s_.table, crlf), Expect::AcceptExact);
    add("enc_utf8_bom_crlf", "\xEF\xBB\xBF" + writeCsv(s_.table, crlf), Expect::AcceptExact);
    // Windows-1252 has no Ł: the clean file for these has L.
    auto latin = replaceAll(clean_, "Ł", "L");
    add("enc_windows1252", toWindows1252(latin), Expect::AcceptExact, {}, latin);
    add("enc_windows1252_crlf", toWindows1252(replaceAll(latin, "\n", "\r\n")), Expect::AcceptExact,
        {}, latin);
    add("enc_utf16le_bom_tab", toUtf16leWithBom(writeCsv(s_.table, {'\t', "\r\n"})),
        Expect::AcceptExact);
    add("enc_utf16le_bom_comma", toUtf16leWithBom(clean_), Expect::AcceptExact);
    add("enc_semicolon", writeCsv(s_.table, {';', "\n"}), Expect::AcceptExact);
    add("quote_all", writeCsv(s_.table, {',', "\n", true}), Expect::AcceptExact);
    add("blank_line_at_end", clean_ + "\n", Expect::AcceptExact);
  }

  void shuffles(int columnShuffles, int rowShuffles) {
    for (int i = 0; i < columnShuffles; ++i) {
      std::vector<std::size_t> order(s_.table.rows[0].size());
      for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
      dice_.shuffle(order);
      auto t = table();
      for (auto& row : t.rows) {
        Row shuffled;
        for (auto c : order) shuffled.push_back(row[c]);
        row = std::move(shuffled);
      }
      add("column_shuffle", text(t), Expect::AcceptExact);
    }
    for (int i = 0; i < rowShuffles; ++i) {
      auto t = table();
      std::vector<Row> body(t.rows.begin() + 1, t.rows.end());
      dice_.shuffle(body);
      std::copy(body.begin(), body.end(), t.rows.begin() + 1);
      add("row_shuffle", text(t), Expect::AcceptExact);
    }
  }

  void upns() {
    int upn = s_.table.column("UPN");
    for (std::size_t r = 1; r < rows(); ++r) {
      const auto& value = s_.table.rows[r][upn];
      if (value.size() != 13) continue;
      for (int k = 0; k < 2; ++k) {
        auto wrong = value;
        wrong[0] = static_cast<char>('A' + (value[0] - 'A' + 1 + k + dice_.below(3)) % 26);
        add("bad_upn_check", withCell(r, upn, wrong), Expect::Refuse, wrong);
      }
      auto shorter = value.substr(0, 12);
      add("bad_upn_length", withCell(r, upn, shorter), Expect::Refuse, shorter);
    }
  }

  void codes() {
    int mark = s_.table.column(s_.mark_column);
    int code = s_.table.column("Code");  // Class Charts: a code beside the status
    for (std::size_t r = 1; r < rows(); ++r)
      for (const auto& bad : s_.bad_codes)
        add(code >= 0 && !s_.table.rows[r][code].empty() ? "unknown_status_beside_code"
                                                         : "unknown_code",
            withCell(r, mark, bad), Expect::Refuse, bad);
    for (std::size_t r = 1; r < rows(); ++r)
      add("bad_bytes_in_code", withCell(r, mark, r % 2 ? "\xFF" : "/\x81"), Expect::Refuse);
  }

  void longDates() {
    int date = s_.table.column("Date"), session = s_.table.column("Session");
    auto fmt = [&](const char* iso) {
      std::string d = iso;
      return s_.iso_dates ? d : d.substr(8, 2) + "/" + d.substr(5, 2) + "/" + d.substr(0, 4);
    };
    std::vector<std::string> impossible =
        s_.iso_dates
            ? std::vector<std::string>{"2024-09-31", "2025-02-30", "2024-00-09", "2024-13-04"}
            : std::vector<std::string>{"31/09/2024", "30/02/2025", "00/09/2024", "04/13/2024"};
    int mark = s_.table.column(s_.mark_column);
    for (std::size_t r = 1; r < rows(); ++r) {
      // A row with no mark ("-", blank, or ignored) says nothing happened that day: its own kind.
      const auto& m = s_.table.rows[r][mark];
      std::string noMark = m == "-" || m.empty() || m == "ignore" ? "_no_mark" : "";
      for (const auto& d : impossible)
        add("bad_date_impossible", withCell(r, date, d), Expect::Refuse, d);
      add("bad_date_text", withCell(r, date, "yesterday"), Expect::Refuse, "yesterday");
      add("bad_date_empty", withCell(r, date, ""), Expect::Refuse);
      for (const char* bad : {"XM", "Noon", "Evening"})
        add("bad_session", withCell(r, session, bad), Expect::Refuse, bad);
      // The rules in docs/connectors.md ("Dates, repeated columns"): a mark after today and
      // after the calendar's last day (2025-04-04 here) is refused as a wrong year; a blank or
      // `-` for a session after today is no mark at all (nothing stored for the row, no
      // warning). A mark on a weekend, in a holiday or outside every term is stored with a
      // counted warning; a missing mark there is stored without one (not a possible session).
      if (noMark.empty())
        add("future_date", withCell(r, date, fmt("2031-09-02")), Expect::Refuse, fmt("2031-09-02"));
      else
        add("future_date_no_mark", withCell(r, date, fmt("2031-09-02")), Expect::NothingForTheRow,
            "2031-09-02");
      auto offDay = noMark.empty() ? Expect::StoreWithWarning : Expect::StoreQuietly;
      for (const char* d : {"2024-09-07", "2024-09-08"})
        add("weekend_date" + noMark, withCell(r, date, fmt(d)), offDay, fmt(d));
      add("holiday_date" + noMark, withCell(r, date, fmt("2024-10-29")), offDay, fmt("2024-10-29"));
      add("outside_calendar" + noMark, withCell(r, date, fmt("2019-09-03")), offDay,
          fmt("2019-09-03"));
    }
  }

  // A second copy of a row: the same (accepted) or saying something else (refused).
  void duplicateRows(const std::function<bool(Row&)>& conflict) {
    for (std::size_t r = 1; r < rows(); ++r) {
      auto t = table();
      t.rows.insert(t.rows.begin() + r + 1, t.rows[r]);
      add("duplicate_row_same", text(t), Expect::AcceptExact);
      auto c = table();
      Row other = c.rows[r];
      if (!conflict(other)) continue;
      c.rows.insert(c.rows.begin() + 1 + dice_.below(rows()), other);
      add("duplicate_row_conflict", text(c), Expect::Refuse);
    }
  }

  void headers(const std::vector<std::string>& duplicated) {
    for (const auto& h : duplicated) {
      int c = s_.table.column(h);
      if (c < 0) continue;
      for (int same = 0; same < 2; ++same) {
        auto t = table();
        for (std::size_t r = 0; r < t.rows.size(); ++r)
          t.rows[r].push_back(r == 0 || same ? t.rows[r][c] : std::string("x"));
        add("duplicate_header", text(t), Expect::Refuse, h);
      }
    }
    for (const auto& h : s_.required) {
      int c = s_.table.column(h);
      auto t = table();
      for (auto& row : t.rows) row.erase(row.begin() + c);
      add(h == "Status" ? "missing_status_column" : "missing_column", text(t), Expect::Refuse, h);
    }
  }

  void ragged() {
    for (std::size_t r = 1; r < rows(); ++r) {
      auto t = table();
      t.rows[r].pop_back();
      add("ragged_row_short", text(t), Expect::Refuse);
      t = table();
      t.rows[r].push_back("X");
      add("ragged_row_long", text(t), Expect::Refuse);
      // An opening quote with no closing quote where the field ends.
      int name = s_.table.column(s_.name_column);
      CsvTable before;
      before.rows.assign(s_.table.rows.begin(), s_.table.rows.begin() + r);
      std::string bytes = writeCsv(before);
      for (std::size_t c = 0; c < s_.table.rows[r].size(); ++c)
        bytes += (c ? "," : "") + (static_cast<int>(c) == name ? "\"" + s_.table.rows[r][c]
                                                               : csvField(s_.table.rows[r][c]));
      CsvTable after;
      after.rows.assign(s_.table.rows.begin() + r + 1, s_.table.rows.end());
      add("unbalanced_quote", bytes + "\n" + writeCsv(after), Expect::Refuse);
    }
    add("empty_file", "", Expect::Refuse);
    add("header_only", writeCsv(CsvTable{{s_.table.rows[0]}}), Expect::Refuse);
  }

  // A file cut short, as a copy taken while the export job was still writing it.
  // Cut in a later row, so that complete records come before the cut (as 14 of 28 rows did).
  void truncations(const std::vector<std::pair<std::string, std::string>>& cutAfter) {
    for (std::size_t r = 2; r < rows(); ++r) {
      const auto& row = s_.table.rows[r];
      for (const auto& [kind, column] : cutAfter) {
        int c = s_.table.column(column);
        add(kind, cutInRow(r, c, ""), Expect::Refuse);
      }
      if (!s_.grid) {
        int date = s_.table.column("Date");
        add("truncated_in_date", cutInRow(r, date, row[date].substr(0, 7)), Expect::Refuse);
      }
      if (row.back().size() >= 2)
        add("truncated_in_last_field",
            cutInRow(r, row.size() - 1, row.back().substr(0, row.back().size() / 2)),
            Expect::Refuse);
      int name = s_.table.column(s_.name_column);
      auto multibyte = row[name].find_first_of("\xC3\xC5");
      if (multibyte != std::string::npos)
        add("truncated_mid_character", cutInRow(r, name, row[name].substr(0, multibyte + 1)),
            Expect::Refuse);
    }
  }

  void hugeFields() {
    int name = s_.table.column(s_.name_column), mark = s_.table.column(s_.mark_column);
    int upn = s_.table.column("UPN");
    std::string mib(1 << 20, 'A');
    add("huge_name", withCell(1, name, mib), Expect::Refuse);
    add("huge_name", withCell(rows() - 1, name, mib + mib + mib), Expect::Refuse);
    add("huge_code", withCell(1, mark, std::string(64 << 10, '/')), Expect::Refuse);
    add("huge_upn", withCell(1, upn, std::string(64 << 10, 'B')), Expect::Refuse);
    // One quoted field of 4 MiB running over many lines.
    std::string lines;
    while (lines.size() < (4u << 20)) lines += "line of a runaway field\n";
    add("huge_multiline_field", withCell(1, name, lines), Expect::Refuse);
  }

  // Bad bytes in one pupil's name (or another text column), in every row of that pupil (so
  // the stored text has them).
  void badBytes(const std::string& column = {}) {
    int name = s_.table.column(column.empty() ? s_.name_column : column);
    std::set<std::string> names;
    for (std::size_t r = 1; r < rows(); ++r) names.insert(s_.table.rows[r][name]);
    const std::pair<const char*, const char*> sequences[] = {{"bad_utf8_byte_ff", "\xFF"},
                                                             {"bad_utf8_overlong", "\xC0\xAF"},
                                                             {"bad_utf8_surrogate", "\xED\xA0\x80"},
                                                             {"bad_utf8_lone_continuation", "\x81"},
                                                             {"bad_utf8_cut_character", "\xC5"}};
    names.erase("");
    for (const auto& original : names)
      for (const auto& [kind, bytes] : sequences) {
        auto value = original;
        auto at = value.size() / 2;
        while (at > 0 && (static_cast<unsigned char>(value[at]) & 0xC0) == 0x80) --at;
        value.insert(at, bytes);
        auto t = table();
        for (std::size_t r = 1; r < t.rows.size(); ++r)
          if (t.rows[r][name] == original) t.rows[r][name] = value;
        add(kind, text(t), Expect::RefuseOrRepair);
      }
  }

  // The admission register's columns (issue 16): a date that cannot be read, a leaving date
  // before the admission date, and rows of one pupil that disagree about the same period are
  // refused naming the line and the value; a huge reason is refused by the field limit.
  void rollCases() {
    int upn = s_.table.column("UPN"), admitted = s_.table.column("Admission Date");
    int leaving = s_.table.column("Date of Leaving"),
        reason = s_.table.column("Reason for Leaving");
    int destination = s_.table.column("Destination");
    auto everyRowOf = [&](const std::string& pupil, int c, const std::string& value) {
      auto t = table();
      for (std::size_t r = 1; r < t.rows.size(); ++r)
        if (t.rows[r][upn] == pupil) t.rows[r][c] = value;
      return text(t);
    };
    for (std::size_t r = 1; r < rows(); ++r) {
      for (const char* bad : {"31/09/2024", "30/02/2025", "2024-13-04", "soon", "2.9.2024"}) {
        add("bad_admission_date", withCell(r, admitted, bad), Expect::Refuse, bad);
        add("bad_leaving_date", withCell(r, leaving, bad), Expect::Refuse, bad);
      }
      const auto& pupil = s_.table.rows[r][upn];
      // Every row of the pupil says the same, so only the order of the dates is wrong.
      add("leaving_before_admission", everyRowOf(pupil, leaving, "01/09/2024"), Expect::Refuse,
          "01/09/2024");
      // One row says another leaving date (or none, or a date where the others have none).
      bool hasLeaving = !s_.table.rows[r][leaving].empty();
      add("roll_conflict_leaving", withCell(r, leaving, hasLeaving ? "" : "22/11/2024"),
          Expect::Refuse, hasLeaving ? "none" : "2024-11-22");
      if (hasLeaving) {
        add("roll_conflict_leaving", withCell(r, leaving, "20/11/2024"), Expect::Refuse,
            "2024-11-20");
        add("roll_conflict_reason", withCell(r, reason, "Emigrated"), Expect::Refuse, "Emigrated");
        add("roll_conflict_destination", withCell(r, destination, "URN 654321"), Expect::Refuse,
            "URN 654321");
      }
    }
    std::string over(65537, 'r');
    add("huge_leaving_reason", withCell(1, reason, over), Expect::Refuse);
    add("huge_leaving_reason", withCell(rows() - 1, reason, std::string(1 << 20, 'r')),
        Expect::Refuse);
    add("huge_destination", withCell(1, destination, over), Expect::Refuse);
  }

 private:
  const CsvSource& s_;
  Dice& dice_;
  std::vector<HostileCase>& out_;
  std::string clean_;
  std::map<std::string, int> numbers_;
};

void gridCases(CsvCorpus& g, const CsvSource& s, Dice& dice) {
  const auto& header = s.table.rows[0];
  std::vector<int> sessions;
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c].ends_with(" AM") || header[c].ends_with(" PM"))
      sessions.push_back(static_cast<int>(c));
  auto withHeading = [&](int c, const std::string& heading) { return g.withCell(0, c, heading); };
  for (int c : sessions) {
    for (const char* bad : {"31/09/2024 AM", "04/09/2024 XM", "04/13/2024 AM", "32/09/2024 PM",
                            "Mon 02/09/2024", "02/09/2024 AMPM", "Fri 31/02/2025 PM"})
      g.add("bad_session_heading", withHeading(c, bad), Expect::Refuse, bad);
    g.add("future_session_heading", withHeading(c, "Tue 02/09/2031 AM"), Expect::Refuse,
          "02/09/2031");
    // Every session column of the fixture holds a real mark: refused after the calendar's last
    // day, naming the heading as written; stored with a counted warning on a weekend.
    g.add("weekend_session_heading", withHeading(c, "Sat 07/09/2024 AM"), Expect::StoreWithWarning,
          "07/09/2024");
    auto t = g.table();
    for (auto& row : t.rows) row.push_back(row[c]);
    g.add("duplicate_session_heading", g.text(t), Expect::Refuse, header[c]);
    for (std::size_t r = 1; r < g.rows(); ++r)
      g.add("unknown_code", g.withCell(r, c, "ZZ"), Expect::Refuse, "ZZ");
  }
  for (const char* unknown : {"Notes", "Attendance %", "Column1"})
    for (int k = 0; k < 3; ++k) {
      auto t = g.table();
      auto at = 1 + dice.below(t.rows[0].size());
      for (std::size_t r = 0; r < t.rows.size(); ++r)
        t.rows[r].insert(t.rows[r].begin() + at, r == 0 ? std::string(unknown) : "x");
      g.add("unknown_column", g.text(t), Expect::Refuse, unknown);
    }
  g.duplicateRows([&](Row& row) {
    row[sessions[0]] = row[sessions[0]] == "N" ? "/" : "N";
    return true;
  });
}

CsvSource source(const std::filesystem::path& file, std::string format, std::string ext) {
  CsvSource s;
  s.format = std::move(format);
  s.ext = std::move(ext);
  s.table = parseCsv(readFixture(file));
  return s;
}

}  // namespace

std::vector<HostileCase> csvCases(const std::filesystem::path& fixtures, Dice& dice) {
  std::vector<HostileCase> out;

  auto sims = source(fixtures / "sims_csv/utf8-lf.csv", "sims_long", ".csv");
  sims.name_column = "Legal Surname";
  sims.mark_column = "Mark";
  sims.bad_codes = {"ZZ", "QQ", "99"};
  sims.required = {"Date", "Session", "Mark"};
  CsvCorpus l(sims, dice, out);
  l.encodings();
  l.shuffles(40, 10);
  l.upns();
  l.codes();
  l.longDates();
  l.duplicateRows([](Row& row) {
    row[8] = row[8] == "/" ? "N" : "/";
    return true;
  });
  l.headers({"Mark", "Date", "Session", "UPN"});
  l.ragged();
  l.truncations({{"truncated_after_delimiter", "Mark"}});
  l.hugeFields();
  l.badBytes();

  auto grid = source(fixtures / "sims_grid/grid-utf8-bom-crlf.csv", "sims_grid", ".csv");
  grid.grid = true;
  grid.name_column = "Legal Surname";
  grid.mark_column = "Mon 02/09/2024 AM";
  CsvCorpus g(grid, dice, out);
  g.encodings();
  g.shuffles(30, 1);
  g.upns();
  g.headers({"Adno", "UPN"});
  g.ragged();
  g.truncations({{"truncated_after_delimiter", "Tue 03/09/2024 AM"}});
  g.hugeFields();
  g.badBytes();
  gridCases(g, grid, dice);

  auto cc = source(fixtures / "classcharts/export.csv", "classcharts", ".csv");
  cc.iso_dates = true;
  cc.name_column = "Last name";
  cc.mark_column = "Status";
  cc.bad_codes = {"sick", "presnt", "ZZ"};
  cc.required = {"Date", "Session", "Status"};
  CsvCorpus c(cc, dice, out);
  c.encodings();
  c.shuffles(30, 5);
  c.upns();
  c.codes();
  c.longDates();
  c.duplicateRows([](Row& row) {
    if (row[8] == "ignore") return false;
    row[7] = "";
    row[8] = row[8] == "absent" ? "present" : "absent";
    return true;
  });
  c.headers({"Status", "Date", "Session", "Student ID"});
  c.ragged();
  c.truncations({{"truncated_after_delimiter", "Code"}});
  c.hugeFields();
  c.badBytes();

  // A SIMS long export with the admission register's columns (tests/fixtures/sims_csv).
  auto roll = source(fixtures / "sims_csv/admission-register.csv", "sims_roll", ".csv");
  roll.name_column = "Legal Surname";
  roll.mark_column = "Mark";
  roll.required = {"Date", "Session", "Mark"};
  CsvCorpus r(roll, dice, out);
  r.encodings();
  r.shuffles(10, 5);
  r.upns();
  r.headers({"Admission Date", "Date of Leaving", "Reason for Leaving"});
  r.rollCases();
  r.badBytes("Reason for Leaving");
  r.badBytes("Destination");
  return out;
}

}  // namespace markbridge::hostile
