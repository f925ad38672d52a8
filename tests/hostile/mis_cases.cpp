// The MIS REST part of the corpus: the items a Wonde-style MIS serves, mutated (the sandbox MIS
// serves them as JSON pages).

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "tests/hostile/hostile_case.h"

namespace markbridge::hostile {
namespace {

nlohmann::json item(const std::string& upn, const std::string& misId, const std::string& date,
                    const std::string& session, const std::string& code) {
  return {{"id", misId + date + session},
          {"student",
           {{"id", "S" + misId},
            {"upi", "u" + misId},
            {"upn", upn},
            {"mis_id", misId},
            {"forename", "Zoë"},
            {"surname", "O'Brien-Łukasz"}}},
          {"date", {{"date", date + " 00:00:00.000000"}, {"timezone", "Europe/London"}}},
          {"session", session},
          {"attendance_code", {{"code", code}}},
          {"comment", nullptr},
          {"updated_at", {{"date", date + " 09:10:00.000000"}}}};
}

std::vector<nlohmann::json> cleanItems() {
  return {item("B801200005001", "1001", "2024-09-03", "AM", "/"),
          item("B801200005001", "1001", "2024-09-03", "PM", "N"),
          item("K801400023001", "2002", "2024-09-03", "AM", "L"),
          item("B801200005001", "1001", "2024-09-04", "AM", "O"),
          item("B801200005001", "1001", "2024-09-04", "PM", "\\")};
}

// The mis_rest cases of one clean list of items, numbered per kind.
class MisRestCases {
 public:
  MisRestCases(std::vector<HostileCase>& out, std::vector<nlohmann::json> clean)
      : out_(out), clean_(std::move(clean)) {}
  const std::vector<nlohmann::json>& clean() const { return clean_; }
  void add(const std::string& kind, const std::vector<nlohmann::json>& items, Expect expect,
           std::string value = {}) {
    char number[16];
    std::snprintf(number, sizeof number, "%03d", ++numbers_[kind]);
    out_.push_back(HostileCase{"mis_rest", kind, "mis_rest-" + kind + "-" + number + ".json",
                               nlohmann::json(items).dump(), nlohmann::json(clean_).dump(), expect,
                               std::move(value)});
  }

 private:
  std::vector<HostileCase>& out_;
  std::vector<nlohmann::json> clean_;
  std::map<std::string, int> numbers_;
};

// The admission register the API gives beside each item (issue 16): the student's admission
// and leaving dates. Every item of a student carries them; items that disagree about the same
// admission are refused, as a bad or backwards date is.
void rollCases(Dice& dice, std::vector<HostileCase>& out) {
  auto withRoll = [](std::vector<nlohmann::json> items) {
    for (auto& j : items) {
      bool first = j["student"]["mis_id"] == "1001";
      j["student"]["admission_date"] = first ? "2024-09-02" : "2023-09-04";
      j["student"]["leaving_date"] = first ? nlohmann::json(nullptr) : "2024-12-20";
    }
    return items;
  };
  MisRestCases cases(out, withRoll(cleanItems()));
  const auto& clean = cases.clean();
  auto add = [&](auto&&... args) { cases.add(std::forward<decltype(args)>(args)...); };
  auto everyItemOf = [&](const std::string& misId, const char* key, const nlohmann::json& value) {
    auto items = clean;
    for (auto& j : items)
      if (j["student"]["mis_id"] == misId) j["student"][key] = value;
    return items;
  };
  for (int k = 0; k < 3; ++k) {
    auto items = clean;
    dice.shuffle(items);
    add("roll_item_order", items, Expect::AcceptExact);
  }
  for (const char* bad : {"2024-02-30", "02/09/2024", "soon"}) {
    add("bad_admission_date", everyItemOf("1001", "admission_date", bad), Expect::Refuse, bad);
    add("bad_leaving_date", everyItemOf("2002", "leaving_date", bad), Expect::Refuse, bad);
  }
  add("leaving_before_admission", everyItemOf("2002", "leaving_date", "2023-01-01"), Expect::Refuse,
      "2023-01-01");
  // One of the first student's four items says the student left.
  for (std::size_t i = 0; i < clean.size(); ++i) {
    if (clean[i]["student"]["mis_id"] != "1001") continue;
    auto items = clean;
    items[i]["student"]["leaving_date"] = "2024-11-22";
    add("roll_conflict_leaving", items, Expect::Refuse, "2024-11-22");
  }
}

}  // namespace

// A page of the MIS API saved to a file (`markbridge import --source arbor page.json`), its bytes
// mutated: the fixture page's shape with the clean items and no next page.
std::vector<HostileCase> misPageCases(const std::filesystem::path& fixtures, Dice& dice) {
  auto page = nlohmann::json::parse(readFixture(fixtures / "mis_rest/page.json"));
  page["data"] = cleanItems();
  page["meta"]["pagination"]["next"] = nullptr;
  page["meta"]["pagination"]["more"] = false;
  const auto clean = page.dump();
  std::vector<HostileCase> out;
  std::map<std::string, int> numbers;
  auto add = [&](const std::string& kind, std::string bytes, Expect expect) {
    char number[16];
    std::snprintf(number, sizeof number, "%03d", ++numbers[kind]);
    out.push_back(HostileCase{"mis_page",
                              kind,
                              "mis_page-" + kind + "-" + number + ".json",
                              std::move(bytes),
                              clean,
                              expect,
                              {}});
  };
  add("enc_utf8_bom", "\xEF\xBB\xBF" + clean, Expect::AcceptExact);
  add("pretty_printed", page.dump(2), Expect::AcceptExact);
  add("enc_crlf", replaceAll(page.dump(2), "\n", "\r\n"), Expect::AcceptExact);
  add("unicode_escapes", page.dump(-1, ' ', true), Expect::AcceptExact);
  auto first = clean.find("\"data\"");
  for (int k = 0; k < 20; ++k)
    add("truncated_mid_document", clean.substr(0, first + dice.below(clean.size() - first - 1)),
        Expect::Refuse);
  for (const char* junk : {"}", "x", "{\"data\":[]}"})
    add("junk_after_json", clean + junk, Expect::Refuse);
  auto forename = clean.find("Zo");
  for (const char* bytes : {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\x81", "\xC5"})
    add("bad_utf8", std::string(clean).insert(forename + 2, bytes), Expect::Refuse);
  add("nul_escape", std::string(clean).insert(forename + 2, "\\u0000"), Expect::Refuse);
  add("lone_surrogate_escape", std::string(clean).insert(forename + 2, "\\ud800"), Expect::Refuse);
  auto session = clean.find("\"session\":\"AM\"");
  add("duplicate_key", std::string(clean).insert(session, "\"session\":\"PM\","), Expect::Refuse);
  auto comment = clean.find("\"comment\":null") + 10;
  for (std::size_t depth : {5'000u, 50'000u, 200'000u})
    add("deep_nesting",
        std::string(clean).replace(comment, 4, std::string(depth, '[') + std::string(depth, ']')),
        Expect::Refuse);
  add("huge_name", std::string(clean).insert(forename + 2, std::string(1u << 20, 'e')),
      Expect::Refuse);
  return out;
}

std::vector<HostileCase> misCases(Dice& dice) {
  std::vector<HostileCase> out;
  MisRestCases cases(out, cleanItems());
  const auto& clean = cases.clean();
  auto add = [&](auto&&... args) { cases.add(std::forward<decltype(args)>(args)...); };
  auto changed = [&](std::size_t i, const std::function<void(nlohmann::json&)>& change) {
    auto items = clean;
    change(items[i]);
    return items;
  };
  for (int k = 0; k < 5; ++k) {
    auto items = clean;
    dice.shuffle(items);
    add("item_order", items, Expect::AcceptExact);
  }
  for (std::size_t i = 0; i < clean.size(); ++i) {
    std::string upn = clean[i]["student"]["upn"];
    std::string wrong = upn;
    wrong[0] = static_cast<char>('A' + (upn[0] - 'A' + 1 + dice.below(3)) % 26);
    add("bad_upn_check", changed(i, [&](auto& j) { j["student"]["upn"] = wrong; }), Expect::Refuse,
        wrong);
    add("unknown_code", changed(i, [](auto& j) { j["attendance_code"]["code"] = "ZZ"; }),
        Expect::Refuse, "ZZ");
    add("bad_date_impossible",
        changed(i, [](auto& j) { j["date"]["date"] = "2024-02-30 00:00:00.000000"; }),
        Expect::Refuse, "2024-02-30");
    add("bad_session", changed(i, [](auto& j) { j["session"] = "XM"; }), Expect::Refuse, "XM");
    // docs/connectors.md, dates: a mark after today and after the calendar's last day is
    // refused (a wrong year); a mark on a weekend is stored with a counted warning.
    add("future_date",
        changed(i, [](auto& j) { j["date"]["date"] = "2031-09-02 00:00:00.000000"; }),
        Expect::Refuse, "2031-09-02");
    add("weekend_date",
        changed(i, [](auto& j) { j["date"]["date"] = "2024-09-07 00:00:00.000000"; }),
        Expect::StoreWithWarning, "2024-09-07");
    auto same = clean;
    same.insert(same.begin() + i, clean[i]);
    add("duplicate_item_same", same, Expect::AcceptExact);
    auto conflict = clean;
    auto other = clean[i];
    other["attendance_code"]["code"] = other["attendance_code"]["code"] == "N" ? "/" : "N";
    conflict.push_back(other);
    add("duplicate_item_conflict", conflict, Expect::Refuse);
  }
  add("huge_name",
      changed(0, [](auto& j) { j["student"]["forename"] = std::string(1 << 20, 'A'); }),
      Expect::Refuse);
  add("huge_code",
      changed(1, [](auto& j) { j["attendance_code"]["code"] = std::string(64 << 10, '/'); }),
      Expect::Refuse);
  for (const char* key : {"session", "date"})
    add("missing_field", changed(2, [&](auto& j) { j.erase(key); }), Expect::Refuse);
  add("wrong_type", changed(3, [](auto& j) { j["session"] = 1; }), Expect::Refuse);
  add("wrong_type", changed(3, [](auto& j) { j["date"]["date"] = nullptr; }), Expect::Refuse);
  add("wrong_type", changed(3, [](auto& j) { j["attendance_code"]["code"] = 7; }), Expect::Refuse);
  rollCases(dice, out);
  return out;
}

}  // namespace markbridge::hostile
