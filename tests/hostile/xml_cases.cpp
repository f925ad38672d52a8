// The XML part of the corpus: CTF (marks strings) and School Census returns, mutated.

#include <map>

#include "tests/hostile/hostile_case.h"

namespace markbridge::hostile {
namespace {

// The position of the text inside the `n`th <tag>...</tag>, as [begin, end).
std::pair<std::size_t, std::size_t> elementText(const std::string& doc, const std::string& tag,
                                                int n = 0) {
  std::size_t at = 0;
  for (int i = 0; i <= n; ++i) {
    at = doc.find("<" + tag + ">", at);
    if (at == std::string::npos) return {std::string::npos, std::string::npos};
    at += tag.size() + 2;
  }
  return {at, doc.find("</" + tag + ">", at)};
}

std::string withText(std::string doc, const std::string& tag, const std::string& text, int n = 0) {
  auto [begin, end] = elementText(doc, tag, n);
  return begin == std::string::npos ? doc : doc.replace(begin, end - begin, text);
}

std::string textOf(const std::string& doc, const std::string& tag, int n = 0) {
  auto [begin, end] = elementText(doc, tag, n);
  return begin == std::string::npos ? std::string() : doc.substr(begin, end - begin);
}

class XmlCorpus {
 public:
  XmlCorpus(std::string format, std::string base, std::string clean, Dice& dice,
            std::vector<HostileCase>& out)
      : format_(std::move(format)),
        base_(std::move(base)),
        clean_(std::move(clean)),
        dice_(dice),
        out_(out) {}

  void add(const std::string& kind, std::string bytes, Expect expect, std::string value = {},
           std::string clean = {}) {
    char number[16];
    std::snprintf(number, sizeof number, "%03d", ++numbers_[kind]);
    out_.push_back(HostileCase{
        format_, kind, format_ + "-" + base_ + "-" + kind + "-" + number + ".xml", std::move(bytes),
        clean.empty() ? clean_ : std::move(clean), expect, std::move(value)});
  }
  const std::string& clean() const { return clean_; }
  // The elements holding the pupil's names, where the format calls them otherwise.
  void nameElements(std::string surname, std::string forename) {
    surname_ = std::move(surname);
    forename_ = std::move(forename);
  }

  void encodings() {
    const auto& x = clean_;
    auto body = x.substr(x.find("?>") + 2);
    if (body.starts_with("\n")) body.erase(0, 1);
    add("enc_utf8_bom", "\xEF\xBB\xBF" + x, Expect::AcceptExact);
    add("no_declaration", body, Expect::AcceptExact);
    add("enc_utf16le_bom",
        toUtf16leWithBom(replaceAll(x, "encoding=\"UTF-8\"", "encoding=\"UTF-16\"")),
        Expect::AcceptExact);
    add("enc_crlf", replaceAll(x, "\n", "\r\n"), Expect::AcceptExact);
    add("single_quoted_declaration", "<?xml version='1.0' encoding='UTF-8'?>\n" + body,
        Expect::AcceptExact);
    add("indented", replaceAll(x, "\n<", "\n    <"), Expect::AcceptExact);
    for (int k = 0; k < 3; ++k) {
      auto doc = x;
      std::size_t at = doc.find("\n<", doc.find("?>"));
      for (; at != std::string::npos; at = doc.find("\n<", at + 1))
        if (dice_.below(3) == 0) doc.insert(at + 1, "<!-- exported by the MIS -->"), at += 28;
      add("comments", doc, Expect::AcceptExact);
    }
    add("char_references", replaceAll(x, "Zoë", "Zo&#235;"), Expect::AcceptExact);
    add("char_references", replaceAll(x, "Zoë", "Zo&#xEB;"), Expect::AcceptExact);
    add("cdata", replaceAll(x, "O'Brien-Łukasz", "<![CDATA[O'Brien-Łukasz]]>"),
        Expect::AcceptExact);
    add("predefined_entity", replaceAll(x, "O'Brien", "O&apos;Brien"), Expect::AcceptExact);
  }

  void wellFormedness(const std::string& root) {
    const auto& x = clean_;
    auto first = x.find("<" + root);
    auto last = x.rfind("</" + root + ">");
    for (int k = 0; k < 30; ++k) {
      auto at = first + 1 + dice_.below(last - first - 1);
      add("truncated_mid_document", x.substr(0, at), Expect::Refuse);
    }
    auto multibyte = x.find("\xC5\x81");
    add("truncated_mid_character", x.substr(0, multibyte + 1), Expect::Refuse);
    for (const std::string& junk : std::vector<std::string>{"<x/>", "junk", "<" + root + "/>"})
      add("junk_after_root", x + junk + "\n", Expect::Refuse);
    add("end_tag_after_root", x + "</" + root + ">\n", Expect::Refuse);
    for (const std::string& tag : {surname_, forename_, std::string("UPN")}) {
      auto kind = tag == "UPN" ? "undeclared_entity_in_upn" : "undeclared_entity";
      add(kind, withText(x, tag, "&xxe;"), Expect::Refuse, "xxe");
      add(kind, withText(x, tag, textOf(x, tag) + "&nbsp;"), Expect::Refuse, "nbsp");
    }
    for (const char* ref : {"&#0;", "&#1;", "&#xD800;", "&#xFFFE;", "&#x110000;"})
      add("bad_char_reference", withText(x, surname_, "O'Brien" + std::string(ref) + "Smith"),
          Expect::Refuse);
    auto rootOpen = "<" + root + ">";
    add("duplicate_attribute", replaceAll(x, rootOpen, "<" + root + " v=\"1\" v=\"2\">"),
        Expect::Refuse, "v");
    for (const std::string& tag : {std::string("UPN"), surname_})
      add("duplicate_attribute", replaceAll(x, "<" + tag + ">", "<" + tag + " a='1' a='1'>"),
          Expect::Refuse, "a");
    add("mismatched_tag", replaceAll(x, "</" + surname_ + ">", "</" + forename_ + ">"),
        Expect::Refuse);
    add("mismatched_tag", replaceAll(x, "</UPN>", "</upn>"), Expect::Refuse);
    // Refused by rule: no DTD (internal entities, external entities, entity expansion).
    auto afterDecl = x.find("?>") + 3;
    auto withDoctype = [&](const std::string& dtd, const std::string& surname) {
      auto doc = withText(x, surname_, surname);
      return doc.insert(afterDecl, "<!DOCTYPE " + root + " [" + dtd + "]>\n");
    };
    add("doctype_internal_entity", withDoctype("<!ENTITY n \"Smith\">", "&n;"), Expect::Refuse);
    add("doctype_external_entity",
        withDoctype("<!ENTITY xxe SYSTEM \"file:///etc/hostname\">", "&xxe;"), Expect::Refuse);
    std::string laughs = "<!ENTITY l0 \"lol\">";
    for (int i = 1; i < 10; ++i)
      laughs += "<!ENTITY l" + std::to_string(i) + " \"" +
                replaceAll("&lX;&lX;&lX;&lX;&lX;&lX;&lX;&lX;&lX;&lX;", "X", std::to_string(i - 1)) +
                "\">";
    add("doctype_entity_expansion", withDoctype(laughs, "&l9;"), Expect::Refuse);
  }

  void hostileSizes(const std::string& inside) {
    const auto& x = clean_;
    auto at = x.find("<" + inside + ">") + inside.size() + 2;
    for (std::size_t depth : {5'000u, 50'000u, 200'000u}) {
      std::string nested;
      nested.reserve(depth * 7);
      for (std::size_t i = 0; i < depth; ++i) nested += "<a>";
      for (std::size_t i = 0; i < depth; ++i) nested += "</a>";
      add("deep_nesting", std::string(x).insert(at, nested), Expect::Refuse);
    }
    add("huge_name", withText(x, surname_, std::string(2u << 20, 'A')), Expect::Refuse);
    add("huge_name", withText(x, forename_, std::string(1u << 20, 'B')), Expect::Refuse);
    add("huge_upn", withText(x, "UPN", std::string(64u << 10, 'C')), Expect::Refuse);
  }

  void upnsAndBytes(int pupils) {
    const auto& x = clean_;
    for (int n = 0; n < pupils; ++n) {
      auto upn = textOf(x, "UPN", n);
      for (int k = 0; k < 2; ++k) {
        auto wrong = upn;
        wrong[0] = static_cast<char>('A' + (upn[0] - 'A' + 1 + k + dice_.below(3)) % 26);
        add("bad_upn_check", withText(x, "UPN", wrong, n), Expect::Refuse, wrong);
      }
      add("bad_upn_length", withText(x, "UPN", upn.substr(0, 12), n), Expect::Refuse,
          upn.substr(0, 12));
    }
    for (const char* bytes : {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\x81", "\xC5"})
      for (const std::string& tag : {surname_, forename_}) {
        auto value = textOf(x, tag);
        value.insert(value.size() / 2, bytes);
        add("bad_utf8_declared_utf8", withText(x, tag, value), Expect::Refuse);
      }
    add("empty_file", "", Expect::Refuse);
  }

 private:
  std::string format_, base_, clean_;
  std::string surname_ = "Surname", forename_ = "Forename";
  Dice& dice_;
  std::vector<HostileCase>& out_;
  std::map<std::string, int> numbers_;
};

void ctfCases(XmlCorpus& c, bool tokens, Dice& dice) {
  const auto& x = c.clean();
  auto marks = textOf(x, "AttendanceMarks");
  std::string centuries;  // 120 years of sessions
  while (centuries.size() < 120u * 365 * (tokens ? 4 : 2)) centuries += tokens ? "/,\\," : "/\\";
  if (tokens) centuries.pop_back();
  // docs/connectors.md (ctf_xml): marks may run to the end of the academic year of their start
  // date and no further; a string that runs past it refuses the file.
  c.add("marks_for_centuries", withText(x, "AttendanceMarks", centuries), Expect::Refuse);
  for (const char* d : {"2024-02-30", "2024-13-01", "soon"})
    c.add("bad_start_date", withText(x, "AttendanceStartDate", d), Expect::Refuse, d);
  // docs/connectors.md, dates: a mark after today and after the calendar's last day is refused.
  c.add("future_start_date", withText(x, "AttendanceStartDate", "2031-09-01"), Expect::Refuse,
        "2031-09-01");
  if (tokens) {
    for (int k = 0; k < 6; ++k) {
      auto at = marks.find(',', dice.below(marks.size() - 4)) + 1;
      auto m = marks;
      m.insert(at, "ZZ,");
      c.add("unknown_mark", withText(x, "AttendanceMarks", m), Expect::Refuse, "ZZ");
    }
  } else {
    std::vector<std::size_t> schoolDays;  // '#' is a day the school was not in session
    for (std::size_t i = 0; i < marks.size(); ++i)
      if (marks[i] != '#') schoolDays.push_back(i);
    for (const char* code : {"9", "$", "%"})
      for (int k = 0; k < 3; ++k) {
        auto m = marks;
        m[schoolDays[dice.below(schoolDays.size())]] = code[0];
        c.add("unknown_mark", withText(x, "AttendanceMarks", m), Expect::Refuse, code);
      }
  }
  c.add("duplicate_upn_element", replaceAll(x, "</UPN>", "</UPN>\n<UPN>K801400023001</UPN>"),
        Expect::Refuse);
  auto pupil = x.substr(x.find("<Pupil>"), x.find("</Pupil>") + 8 - x.find("<Pupil>"));
  auto other = replaceAll(pupil, marks, std::string(marks.size(), 'N'));
  if (tokens) other = withText(pupil, "AttendanceMarks", replaceAll(marks, "/", "N"));
  c.add("duplicate_pupil_conflict", replaceAll(x, "</Pupil>", "</Pupil>\n" + other),
        Expect::Refuse);
}

void censusCases(XmlCorpus& c) {
  const auto& x = c.clean();
  c.add("unknown_reason", withText(x, "AttendanceReason", "ZZ"), Expect::Refuse, "ZZ");
  for (int n = 0; n < 3; ++n) {
    for (const char* bad : {"abc", "-5", "99999999999"})
      c.add("bad_number", withText(x, "SessionsPossible", bad, n), Expect::Refuse, bad);
    c.add("empty_number", withText(x, "SessionsPossible", "", n), Expect::Refuse);
  }
  auto start = x.find("<PupilOnRoll>");
  auto block = x.substr(start, x.find("</PupilOnRoll>") + 14 - start);
  c.add("duplicate_pupil_conflict",
        std::string(x).insert(start, withText(block, "SessionsPossible", "40") + "\n"),
        Expect::Refuse);
}

// The admission register's dates (issue 16): an entry or leaving date that cannot be read, or a
// leaving date before the entry date, refuses the return naming the element and the value.
void onRollCases(XmlCorpus& c) {
  const auto& x = c.clean();
  for (const char* d : {"2024-02-30", "04/09/2023", "soon"})
    c.add("bad_entry_date", withText(x, "EntryDate", d), Expect::Refuse, d);
  c.add("bad_leaving_date", withText(x, "LeavingDate", "2024-12-32"), Expect::Refuse, "2024-12-32");
  c.add("leaving_before_entry", withText(x, "LeavingDate", "2020-01-01"), Expect::Refuse,
        "2020-01-01");
}

// A CTF's SchoolHistory (issue 16): the entry at the school that sent the file (the second
// School here; the first is the pupil's past elsewhere) is the pupil's on-roll period.
void schoolHistoryCases(XmlCorpus& c) {
  const auto& x = c.clean();
  for (const char* d : {"2024-02-30", "02/09/2024", "soon"}) {
    c.add("bad_entry_date", withText(x, "EntryDate", d, 1), Expect::Refuse, d);
    c.add("bad_leaving_date", withText(x, "LeavingDate", d, 1), Expect::Refuse, d);
  }
  c.add("leaving_before_entry", withText(x, "LeavingDate", "2024-09-01", 1), Expect::Refuse,
        "2024-09-01");
  // The same entry twice at this school: word for word is one period; saying another leaving
  // date is refused (which one the MIS meant cannot be known).
  auto [begin, end] = elementText(x, "SchoolHistory");
  auto ours = x.substr(x.find("<School>", x.find("</School>", begin)), std::string::npos);
  ours = ours.substr(0, ours.find("</School>") + 9);
  auto twice = std::string(x).insert(end, ours);
  c.add("school_history_repeated", twice, Expect::AcceptExact);
  c.add("school_history_conflict",
        std::string(x).insert(end, replaceAll(ours, "2024-11-19", "2024-11-22")), Expect::Refuse,
        "2024-11-22");
}

// SIMS CommandReporter reports (docs/connectors.md, sims_reporter_xml): one Record per
// pupil-session; what sims_csv refuses in a row is refused in a Record, naming the element.
void reporterCases(XmlCorpus& c, Dice& dice) {
  const auto& x = c.clean();
  c.add("declaration_without_encoding",
        replaceAll(x, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>",
                   "<?xml version=\"1.0\" standalone=\"yes\"?>"),
        Expect::AcceptExact);
  c.add("no_schema", x.substr(0, x.find("  <xs:schema")) + x.substr(x.find("  <Record>")),
        Expect::AcceptExact);
  // .NET writes a DateTime with the offset of the machine's zone, or none.
  c.add("dates_with_offset", replaceAll(x, "T00:00:00<", "T00:00:00+01:00<"), Expect::AcceptExact);
  c.add("dates_with_fraction", replaceAll(x, "T00:00:00<", "T00:00:00.0000000Z<"),
        Expect::AcceptExact);
  c.add("uk_dates",
        replaceAll(replaceAll(replaceAll(x, "2024-09-02T00:00:00", "02/09/2024"),
                              "2024-09-03T00:00:00", "03/09/2024"),
                   "2024-09-04T00:00:00", "04/09/2024"),
        Expect::AcceptExact);
  auto firstRecord =
      x.substr(x.find("  <Record>"), x.find("</Record>") + 10 - x.find("  <Record>"));
  c.add("record_repeated", std::string(x).insert(x.find("</SuperStarReport>"), firstRecord),
        Expect::AcceptExact);
  c.add("field_order_shuffled",
        replaceAll(x, "    <Session>AM</Session>\n    <Mark>/</Mark>\n",
                   "    <Mark>/</Mark>\n    <Session>AM</Session>\n"),
        Expect::AcceptExact);
  for (int n = 0; n < 6; ++n) {
    for (const char* code : {"ZZ", "9", "$"})
      c.add("unknown_code", withText(x, "Mark", code, n), Expect::Refuse, code);
    for (const char* d : {"2024-02-30T00:00:00", "2024-09-02T08:40:00", "31/09/2024", "soon",
                          "2024-13-01T00:00:00+01:00"})
      c.add("bad_date", withText(x, "Date", d, n), Expect::Refuse,
            std::string(d).substr(0, std::string(d).find("T00:00:00")));
    c.add("bad_session", withText(x, "Session", n % 2 ? "XM" : "Evening", n), Expect::Refuse,
          n % 2 ? "XM" : "Evening");
    auto [begin, end] = elementText(x, "Record", n);
    auto inside = x.substr(begin, end - begin);
    auto mark = "    <Mark>" + textOf(inside, "Mark") + "</Mark>\n";
    c.add("duplicate_element", std::string(x).insert(end, mark), Expect::Refuse, "Mark");
    c.add("duplicate_element", std::string(x).insert(end, "    <Date>2024-09-05T00:00:00</Date>\n"),
          Expect::Refuse, "Date");
  }
  c.add("duplicate_field_names",
        replaceAll(x, "<Legal_x0020_Forename>Zoë</Legal_x0020_Forename>",
                   "<Legal_x0020_Forename>Zoë</Legal_x0020_Forename><Surname>O</Surname>"),
        Expect::Refuse, "Surname");
  c.add("element_not_a_record",
        std::string(x).insert(x.find("</SuperStarReport>"), "  <Total>6</Total>\n"), Expect::Refuse,
        "Total");
  c.add("field_holds_elements", replaceAll(x, "<Mark>C1</Mark>", "<Mark><Code>C1</Code></Mark>"),
        Expect::Refuse, "Mark");
  c.add("text_in_record", replaceAll(x, "<Mark>H</Mark>", "<Mark>H</Mark>late"), Expect::Refuse,
        "late");
  c.add("no_upn_field",
        replaceAll(replaceAll(replaceAll(x, "<UPN>", "<PupilRef>"), "</UPN>", "</PupilRef>"),
                   "name=\"UPN\"", "name=\"PupilRef\""),
        Expect::Refuse, "upn");
  c.add("no_records", x.substr(0, x.find("  <Record>")) + "</SuperStarReport>\n", Expect::Refuse);
  c.add(
      "wrong_root",
      replaceAll(replaceAll(x, "<SuperStarReport>", "<Report>"), "</SuperStarReport>", "</Report>"),
      Expect::Refuse, "Report");
  // Another mark for a pupil-session already given: which one SIMS meant cannot be known.
  auto other = replaceAll(firstRecord, "<Mark>/</Mark>", "<Mark>N</Mark>");
  c.add("duplicate_session_conflict", std::string(x).insert(x.find("</SuperStarReport>"), other),
        Expect::Refuse);
  c.add("huge_upn_field", withText(x, "UPN", std::string(40, 'B'), static_cast<int>(dice.below(6))),
        Expect::Refuse, "40 characters");
  c.add("empty_upn", withText(x, "UPN", "", static_cast<int>(dice.below(6))), Expect::Refuse);
  c.add("huge_surname", withText(x, "Legal_x0020_Surname", std::string(101, 'A')), Expect::Refuse,
        "101 characters");
  std::string fields;
  for (int i = 0; i < 130; ++i)
    fields += "<F" + std::to_string(i) + ">x</F" + std::to_string(i) + ">";
  c.add("too_many_fields", replaceAll(x, "<Mark>C1</Mark>", "<Mark>C1</Mark>" + fields),
        Expect::Refuse, "more than 128");
}

}  // namespace

std::vector<HostileCase> xmlCases(const std::filesystem::path& fixtures, Dice& dice) {
  std::vector<HostileCase> out;
  for (const char* base : {"characters", "tokens"}) {
    XmlCorpus c("ctf", base, readFixture(fixtures / "ctf" / (std::string(base) + ".xml")), dice,
                out);
    c.encodings();
    c.wellFormedness("CTfile");
    c.hostileSizes("Pupil");
    c.upnsAndBytes(1);
    ctfCases(c, std::string(base) == "tokens", dice);
  }
  XmlCorpus census("census", "spring", readFixture(fixtures / "census/spring-2025.xml"), dice, out);
  census.encodings();
  census.wellFormedness("Message");
  census.hostileSizes("PupilOnRoll");
  census.upnsAndBytes(3);
  censusCases(census);
  XmlCorpus roll("census", "pupil-details",
                 readFixture(fixtures / "census/spring-2025-pupil-details.xml"), dice, out);
  onRollCases(roll);
  XmlCorpus history("ctf", "school-history", readFixture(fixtures / "ctf/school-history.xml"), dice,
                    out);
  history.encodings();
  schoolHistoryCases(history);
  // The fixture as CommandReporter writes it, with the encoding declared so the re-encodings
  // have a declaration to change.
  auto report = replaceAll(readFixture(fixtures / "sims_reporter/attendance.xml"),
                           "<?xml version=\"1.0\" standalone=\"yes\"?>",
                           "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>");
  // Its own seeded dice, so that adding this format left every other format's files as they were.
  Dice reporterDice(20241130);
  XmlCorpus reporter("sims_reporter", "attendance", report, reporterDice, out);
  reporter.nameElements("Legal_x0020_Surname", "Legal_x0020_Forename");
  reporter.encodings();
  reporter.wellFormedness("SuperStarReport");
  reporter.hostileSizes("Record");
  reporter.upnsAndBytes(1);
  reporterCases(reporter, reporterDice);
  return out;
}

}  // namespace markbridge::hostile
