// The typed event sinks receive: read once from the payload the outbox keeps, refusing a payload
// that lacks a key (naming it) instead of letting a null reach a destination.

#include "core/rules/sink_event.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/rules/event.h"
#include "core/rules/event_change.h"

using namespace markbridge;

namespace {

Event fullEvent() {
  Event e;
  e.id = "ev-1";
  e.rule = "statutory.unauthorised_10_day";
  e.type = "unauthorised_10_day";
  e.episode = "2024-09-16";
  e.pupil =
      Pupil{"B801200005001", "1001", "Zoë", "O'Brien", Date::parseIso("2012-10-01"), "7", "7A", {}};
  e.pupil.flags = {true, false, true, false, true, true, false};  // sen, cla, cin, fsm
  e.occurred_on = *Date::parseIso("2024-09-27");
  e.from = *Date::parseIso("2024-09-16");
  e.to = *Date::parseIso("2024-09-27");
  e.sessions_by_code = {{"N", 18}, {"O", 2}};
  e.attendance_percent = 61.54;
  e.summary = "10 unauthorised sessions";
  e.action = R"({"categories":["Attendance"],"alert":["DSL"],"due_in_school_days":2})";
  e.actions_taken = std::vector<ActionTaken>{
      {*Date::parseIso("2024-09-18"), "task for attendance_officer: welfare call", "ac1"}};
  return e;
}

// The reason the payload is refused ("" when it is not).
std::string refusal(const nlohmann::json& payload) {
  try {
    SinkEvent::fromJson(payload.dump());
    return "";
  } catch (const BadEventPayload& e) {
    return e.what();
  }
}

nlohmann::json without(nlohmann::json json, const nlohmann::json::json_pointer& at) {
  json[at.parent_pointer()].erase(at.back());
  return json;
}

}  // namespace

TEST(SinkEventRead, EveryFieldOfTheStoredEventIsTyped) {
  auto e = SinkEvent::fromJson(fullEvent().toJson());
  EXPECT_EQ(e.event_id, "ev-1");
  EXPECT_EQ(e.rule, "statutory.unauthorised_10_day");
  EXPECT_EQ(e.type, "unauthorised_10_day");
  EXPECT_EQ(e.episode, "2024-09-16");
  EXPECT_EQ(e.occurred_on.iso(), "2024-09-27");
  EXPECT_EQ(e.from.iso(), "2024-09-16");
  EXPECT_EQ(e.to.iso(), "2024-09-27");
  EXPECT_EQ(e.sessions_by_code, (std::map<std::string, int>{{"N", 18}, {"O", 2}}));
  EXPECT_DOUBLE_EQ(e.attendance_percent, 61.5);  // stored to one decimal
  EXPECT_EQ(e.summary, "10 unauthorised sessions");
  EXPECT_EQ(e.pupil.upn, "B801200005001");
  EXPECT_EQ(e.pupil.mis_id, "1001");
  EXPECT_EQ(e.pupil.forename, "Zoë");
  EXPECT_EQ(e.pupil.surname, "O'Brien");
  EXPECT_EQ(e.pupil.dob->iso(), "2012-10-01");
  EXPECT_EQ(e.pupil.year, "7");
  EXPECT_EQ(e.pupil.reg_group, "7A");
  EXPECT_TRUE(e.pupil.sen && e.pupil.cla && e.pupil.cin && e.pupil.fsm);
  EXPECT_FALSE(e.pupil.ehcp || e.pupil.cp);
  ASSERT_TRUE(e.action);
  EXPECT_EQ(e.action->categories, std::vector<std::string>{"Attendance"});
  EXPECT_EQ(e.action->alert, std::vector<std::string>{"DSL"});
  EXPECT_FALSE(e.action->text);
  EXPECT_EQ(e.action->details["due_in_school_days"], 2);  // kept for webhook templates
  ASSERT_TRUE(e.actions_taken);
  EXPECT_EQ(*e.actions_taken,
            (std::vector<ActionTaken>{{*Date::parseIso("2024-09-18"),
                                       "task for attendance_officer: welfare call", "ac1"}}));
}

TEST(SinkEventRead, APayloadStoredBeforeActionsTakenWereChosenHasNone) {
  auto event = fullEvent();
  event.actions_taken.reset();
  EXPECT_EQ(event.toJson().find("actions_taken"), std::string::npos);  // other events unchanged
  auto e = SinkEvent::of(event);
  EXPECT_FALSE(e.actions_taken);
  EXPECT_EQ(e.toJson().dump(-1, ' ', false), event.toJson());
  event.actions_taken = std::vector<ActionTaken>{};  // chosen: nothing was done
  EXPECT_NE(event.toJson().find("\"actions_taken\":[]"), std::string::npos);
  EXPECT_EQ(SinkEvent::of(event).actions_taken, std::vector<ActionTaken>{});
}

TEST(SinkEventRead, ItsJsonViewIsThePayloadTheOutboxKept) {
  auto event = fullEvent();
  EXPECT_EQ(SinkEvent::fromJson(event.toJson()).toJson(), nlohmann::json::parse(event.toJson()));
  EXPECT_EQ(SinkEvent::fromJson(event.toJson()).toJson().dump(-1, ' ', false),
            event.toJson());  // byte for byte
  event.pupil.dob.reset();
  event.action.clear();
  auto e = SinkEvent::of(event);
  EXPECT_FALSE(e.pupil.dob);  // null: the MIS has none
  EXPECT_FALSE(e.action);
  EXPECT_EQ(e.toJson().dump(-1, ' ', false), event.toJson());
}

TEST(SinkEventRead, APayloadMissingAKeyIsRefusedNamingIt) {
  auto stored = nlohmann::json::parse(fullEvent().toJson());
  EXPECT_EQ(refusal(stored), "");
  for (const char* key :
       {"/event_id",      "/rule",        "/type",       "/episode",          "/occurred_on",
        "/period",        "/period/from", "/period/to",  "/sessions_by_code", "/attendance_percent",
        "/summary",       "/pupil",       "/pupil/upn",  "/pupil/mis_id",     "/pupil/forename",
        "/pupil/surname", "/pupil/dob",   "/pupil/year", "/pupil/reg_group",  "/pupil/sen",
        "/pupil/ehcp",    "/pupil/cla",   "/pupil/cp",   "/pupil/cin",        "/pupil/fsm"}) {
    std::string name = std::string(key + 1);
    std::replace(name.begin(), name.end(), '/', '.');
    EXPECT_EQ(refusal(without(stored, nlohmann::json::json_pointer(key))),
              "the key " + name + " is missing")
        << key;
  }
}

TEST(SinkEventRead, AKeyHoldingTheWrongKindOfValueIsRefusedWithoutShowingTheValue) {
  auto stored = nlohmann::json::parse(fullEvent().toJson());
  auto with = [&](const char* at, nlohmann::json value) {
    auto copy = stored;
    copy[nlohmann::json::json_pointer(at)] = std::move(value);
    return refusal(copy);
  };
  EXPECT_EQ(with("/pupil/forename", 7), "the key pupil.forename holds a number, not text");
  EXPECT_EQ(with("/pupil/surname", nullptr), "the key pupil.surname holds null, not text");
  EXPECT_EQ(with("/pupil/dob", "1 Oct 2012"),
            "the key pupil.dob holds text that is not a date (yyyy-mm-dd)");
  EXPECT_EQ(with("/period/from", "2024-13-01"),
            "the key period.from holds text that is not a date (yyyy-mm-dd)");
  EXPECT_EQ(with("/pupil/cp", "yes"), "the key pupil.cp holds text, not true or false");
  EXPECT_EQ(with("/attendance_percent", "61.5"),
            "the key attendance_percent holds text, not a number");
  EXPECT_EQ(with("/sessions_by_code/N", 1.5),
            "the key sessions_by_code.N holds a number, not a whole number");
  EXPECT_EQ(with("/type", ""), "the key type is empty");
  EXPECT_EQ(with("/action/alert", "DSL"), "the key action.alert holds text, not a list of text");
  EXPECT_EQ(with("/action/categories", nlohmann::json::array({"Attendance", 3})),
            "the key action.categories holds a list with a number in it, not only text");
  EXPECT_EQ(with("/action", "concern"), "the key action holds text, not an object");
  EXPECT_EQ(with("/actions_taken", "letter 1"), "the key actions_taken holds text, not a list");
  EXPECT_EQ(with("/actions_taken/0/on", "18 Sep"),
            "the key actions_taken[0].on holds text that is not a date (yyyy-mm-dd)");
  EXPECT_EQ(with("/actions_taken/0/stage", nullptr),
            "the key actions_taken[0].stage holds null, not text");
  EXPECT_EQ(with("/actions_taken/0", 3), "the key actions_taken[0] holds a number, not an object");
  EXPECT_EQ(refusal(nlohmann::json::array()), "the payload is not a JSON object");
  try {
    SinkEvent::fromJson("{\"event_id\":");
    FAIL();
  } catch (const BadEventPayload& e) {
    EXPECT_STREQ(e.what(), "the payload is not JSON");
  }
}

TEST(SinkEventRead, TheAdmissionRegisterReturnsNeedTheirDates) {
  auto stored = nlohmann::json::parse(fullEvent().toJson());
  stored["type"] = "new_pupil";
  stored["action"] = {{"admission_date", "2024-09-16"}, {"due_on", "2024-09-21"}};
  EXPECT_EQ(refusal(stored), "");
  stored["action"].erase("admission_date");
  EXPECT_EQ(refusal(stored),
            "the key action.admission_date is missing (a new_pupil return needs it)");
  stored["type"] = "deletion";
  stored["action"] = {{"leaving_date", "2024-10-04"}, {"deletion_ground", "A"}};
  EXPECT_EQ(refusal(stored), "the key action.destination is missing (a deletion return needs it)");
  stored.erase("action");
  EXPECT_EQ(refusal(stored), "the key action.leaving_date is missing (a deletion return needs it)");
}

TEST(SinkEventRead, KeysThisVersionDoesNotKnowAreNotKept) {
  auto stored = nlohmann::json::parse(fullEvent().toJson());
  stored["from_a_newer_version"] = 1;
  auto view = SinkEvent::fromJson(stored.dump()).toJson();
  EXPECT_FALSE(view.contains("from_a_newer_version"));
  EXPECT_EQ(view, nlohmann::json::parse(fullEvent().toJson()));
}

TEST(OutboxKindText, UnknownTextIsNoKind) {
  for (auto kind : {OutboxKind::Notify, OutboxKind::Withdraw, OutboxKind::Revise})
    EXPECT_EQ(outboxKindFrom(toString(kind)), kind);
  EXPECT_FALSE(outboxKindFrom("notified").has_value());
  EXPECT_FALSE(outboxKindFrom("").has_value());
  EXPECT_FALSE(outboxKindFrom("Notify").has_value());
}
