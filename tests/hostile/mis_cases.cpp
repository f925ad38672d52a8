// The MIS REST part of the corpus: the items a Wonde-style MIS serves, mutated (the sandbox MIS
// serves them as JSON pages).

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

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

}  // namespace

std::vector<HostileCase> misCases(Dice& dice) {
  const std::vector<nlohmann::json> clean = {
      item("B801200005001", "1001", "2024-09-03", "AM", "/"),
      item("B801200005001", "1001", "2024-09-03", "PM", "N"),
      item("K801400023001", "2002", "2024-09-03", "AM", "L"),
      item("B801200005001", "1001", "2024-09-04", "AM", "O"),
      item("B801200005001", "1001", "2024-09-04", "PM", "\\")};
  std::vector<HostileCase> out;
  std::map<std::string, int> numbers;
  auto add = [&](const std::string& kind, const std::vector<nlohmann::json>& items, Expect expect,
                 std::string value = {}) {
    char number[16];
    std::snprintf(number, sizeof number, "%03d", ++numbers[kind]);
    out.push_back(HostileCase{"mis_rest", kind, "mis_rest-" + kind + "-" + number + ".json",
                              nlohmann::json(items).dump(), nlohmann::json(clean).dump(), expect,
                              std::move(value)});
  };
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
    add("future_date",
        changed(i, [](auto& j) { j["date"]["date"] = "2031-09-02 00:00:00.000000"; }),
        Expect::RefuseOrWarn, "2031-09-02");
    add("weekend_date",
        changed(i, [](auto& j) { j["date"]["date"] = "2024-09-07 00:00:00.000000"; }),
        Expect::RefuseOrWarn, "2024-09-07");
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
  return out;
}

}  // namespace markbridge::hostile
