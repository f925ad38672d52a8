// Each sink builds its requests from the typed event's fields: a typed event with every field set
// gives exactly the body the destination expects (tests/integration/sink_wire_bodies_test.cpp
// checks the same over HTTPS against bodies captured before events travelled typed).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/outbound/cpoms/cpoms_connector.h"
#include "connectors/outbound/la_portal/la_portal_payload.h"
#include "connectors/outbound/webhook/json_template.h"
#include "connectors/outbound/webhook/webhook_connector.h"

using namespace markbridge;

namespace {

// Every field set, none through JSON.
SinkEvent typedEvent(const std::string& type) {
  SinkEvent e;
  e.event_id = "ev-1";
  e.rule = "statutory." + type;
  e.type = type;
  e.episode = "2024-09-16";
  e.occurred_on = *Date::parseIso("2024-09-27");
  e.from = *Date::parseIso("2024-09-16");
  e.to = *Date::parseIso("2024-09-27");
  e.sessions_by_code = {{"N", 18}, {"O", 2}};
  e.attendance_percent = 61.5;
  e.summary = "10 unauthorised sessions";
  e.pupil = {"B801200005001",
             "1001",
             "Zoë",
             "O'Brien",
             Date::parseIso("2012-10-01"),
             "7",
             "7A",
             true,
             false,
             false,
             true,
             false,
             true};
  return e;
}

OutboxItem itemOf(OutboxKind kind) {
  OutboxItem item;
  item.key = "ev-1@sink";
  item.kind = kind;
  item.created_at = 1727000000000;  // 2024-09-22
  return item;
}

const School kSchool{"140000", "801", "4000", "Demo Academy"};

LaPortalConfig contact() {
  LaPortalConfig config;
  config.contact_name = "Attendance Officer";
  config.contact_email = "attendance@school.example";
  config.contact_phone = "01632 960000";
  return config;
}

std::string laBody(OutboxKind kind, const SinkEvent& event, const std::string& ref = "") {
  return laPortalNotificationBody(itemOf(kind), event, ref, kSchool, contact());
}

}  // namespace

TEST(LaPortalBody, ANotificationCarriesEveryTypedField) {
  EXPECT_EQ(
      laBody(OutboxKind::Notify, typedEvent("unauthorised_10_day")),
      R"json({"actions_taken":[],"attendance_percent":61.5,"cause_if_known":"Absent 20 sessions from 2024-09-16 to 2024-09-27: N 18 (unauthorised: reason for absence not yet established), O 2 (unauthorised: absent in other or unknown circumstances)","contact":{"email":"attendance@school.example","name":"Attendance Officer","phone":"01632 960000"},"event_id":"ev-1","period":{"from":"2024-09-16","to":"2024-09-27"},"pupil":{"cin":false,"cla":false,"cp":true,"dob":"2012-10-01","ehcp":false,"forename":"Zoë","fsm":true,"reg_group":"7A","sen":true,"surname":"O'Brien","upn":"B801200005001","year":"7"},"school":{"estab":"4000","la":"801","name":"Demo Academy","urn":"140000"},"sessions_by_code":{"N":18,"O":2},"summary":"10 unauthorised sessions","type":"unauthorised_10_day"})json");
  auto noDob = typedEvent("sickness_15_day");
  noDob.pupil.dob.reset();
  EXPECT_EQ(nlohmann::json::parse(laBody(OutboxKind::Notify, noDob))["pupil"]["dob"], nullptr);
}

TEST(LaPortalBody, CorrectionsNameTheRecordAndThePupilOnly) {
  EXPECT_EQ(
      laBody(OutboxKind::Withdraw, typedEvent("unauthorised_10_day"), "LA-1"),
      R"json({"contact":{"email":"attendance@school.example","name":"Attendance Officer","phone":"01632 960000"},"corrects":{"reference":"LA-1","type":"unauthorised_10_day"},"event_id":"ev-1","period":{"from":"2024-09-16","to":"2024-09-27"},"pupil":{"upn":"B801200005001"},"school":{"estab":"4000","la":"801","name":"Demo Academy","urn":"140000"},"type":"update","update":"withdrawn: the register was amended and the grounds for the notification no longer hold"})json");
  EXPECT_EQ(
      laBody(OutboxKind::Revise, typedEvent("unauthorised_10_day"), "LA-1"),
      R"json({"attendance_percent":61.5,"contact":{"email":"attendance@school.example","name":"Attendance Officer","phone":"01632 960000"},"corrects":{"reference":"LA-1","type":"unauthorised_10_day"},"event_id":"ev-1","period":{"from":"2024-09-16","to":"2024-09-27"},"pupil":{"upn":"B801200005001"},"school":{"estab":"4000","la":"801","name":"Demo Academy","urn":"140000"},"sessions_by_code":{"N":18,"O":2},"type":"update","update":"revised: the register was amended; the grounds still hold for this period"})json");
}

TEST(LaPortalBody, TheAdmissionRegisterReturnsCarryTheirActionDetails) {
  auto admitted = typedEvent("new_pupil");
  admitted.action =
      SinkAction::fromDetails({{"admission_date", "2024-09-16"}, {"due_on", "2024-09-21"}});
  EXPECT_EQ(
      laBody(OutboxKind::Notify, admitted),
      R"json({"admission_date":"2024-09-16","contact":{"email":"attendance@school.example","name":"Attendance Officer","phone":"01632 960000"},"due_on":"2024-09-21","event_id":"ev-1","late":true,"pupil":{"dob":"2012-10-01","forename":"Zoë","reg_group":"7A","surname":"O'Brien","upn":"B801200005001","year":"7"},"school":{"estab":"4000","la":"801","name":"Demo Academy","urn":"140000"},"summary":"10 unauthorised sessions","type":"new_pupil"})json");
  auto left = typedEvent("deletion");
  left.action = SinkAction::fromDetails(
      {{"leaving_date", "2024-10-04"}, {"deletion_ground", "A"}, {"destination", "123456"}});
  EXPECT_EQ(
      laBody(OutboxKind::Notify, left),
      R"json({"contact":{"email":"attendance@school.example","name":"Attendance Officer","phone":"01632 960000"},"deletion_ground":"A","destination":{"school_urn":"123456"},"event_id":"ev-1","leaving_date":"2024-10-04","pupil":{"dob":"2012-10-01","forename":"Zoë","reg_group":"7A","surname":"O'Brien","upn":"B801200005001","year":"7"},"school":{"estab":"4000","la":"801","name":"Demo Academy","urn":"140000"},"summary":"10 unauthorised sessions","type":"deletion"})json");
}

TEST(CpomsBodies, AConcernCarriesItsCategoriesRolesAndWhatTriggeredIt) {
  auto concern = typedEvent("concern");
  concern.action = SinkAction::fromDetails(
      {{"categories", {"Attendance", "Safeguarding"}}, {"alert", {"DSL", "head_of_year"}}});
  EXPECT_EQ(
      cpomsIncidentBody(concern, "ev-1@cpoms", {"Attendance"}).dump(),
      R"json({"alert":["DSL","head_of_year"],"body":"10 unauthorised sessions\nPeriod: 2024-09-16 to 2024-09-27\nSessions: N x18 O x2\nAttendance this academic year: 61.5%\n(raised by Markbridge, rule statutory.concern)","categories":["Attendance","Safeguarding"],"external_ref":"ev-1@cpoms","occurred_on":"2024-09-27","source":"markbridge","student":{"forename":"Zoë","mis_id":"1001","surname":"O'Brien","upn":"B801200005001"}})json");
  // Without details: the sink's categories, nobody alerted.
  auto plain = cpomsIncidentBody(typedEvent("concern"), "k", {"Attendance", "Pastoral"});
  EXPECT_EQ(plain["categories"], nlohmann::json({"Attendance", "Pastoral"}));
  EXPECT_EQ(plain["alert"], nlohmann::json::array());
  // A task's incident takes the sink's categories even if its details name some.
  auto task = typedEvent("task");
  task.action = SinkAction::fromDetails({{"categories", {"Other"}}});
  EXPECT_EQ(cpomsIncidentBody(task, "k", {"Attendance"})["categories"],
            nlohmann::json({"Attendance"}));
}

TEST(CpomsBodies, TasksNotesAndCorrections) {
  auto task = typedEvent("task");
  task.action = SinkAction::fromDetails(
      {{"assignee_role", "attendance_officer"}, {"due_on", "2024-10-01"}, {"text", "Call home"}});
  EXPECT_EQ(
      cpomsActionBody(task).dump(),
      R"json({"assignee_role":"attendance_officer","due_on":"2024-10-01","text":"Call home"})json");
  EXPECT_EQ(
      cpomsActionBody(typedEvent("task")).dump(),
      R"json({"assignee_role":"","due_on":"2024-09-27","text":"10 unauthorised sessions"})json");
  auto note = typedEvent("note");
  note.action = SinkAction::fromDetails({{"text", "Letter 1 sent"}});
  EXPECT_EQ(cpomsNoteBody(note).dump(),
            R"json({"source":"markbridge","text":"Letter 1 sent"})json");
  EXPECT_EQ(cpomsNoteBody(typedEvent("note")).dump(),
            R"json({"source":"markbridge","text":"10 unauthorised sessions"})json");
  EXPECT_EQ(
      cpomsCorrectionBody(OutboxKind::Withdraw, typedEvent("concern")).dump(),
      R"json({"source":"markbridge","text":"Correction: the register was amended and the grounds for this record no longer hold (10 unauthorised sessions)."})json");
  EXPECT_EQ(
      cpomsCorrectionBody(OutboxKind::Revise, typedEvent("concern")).dump(),
      R"json({"source":"markbridge","text":"Revised: the register was amended; the grounds still hold. 10 unauthorised sessions\nPeriod: 2024-09-16 to 2024-09-27\nSessions: N x18 O x2\nAttendance this academic year: 61.5%\n(raised by Markbridge, rule statutory.concern)"})json");
}

TEST(WebhookTemplateContext, EveryDocumentedPlaceholderResolvesFromTheTypedEvent) {
  auto concern = typedEvent("concern");
  concern.action = SinkAction::fromDetails({{"alert", {"DSL"}}, {"due_in_school_days", 2}});
  auto context =
      webhookTemplateContext(itemOf(OutboxKind::Notify), concern, "", {{"urn", "140000"}});
  auto body = nlohmann::json{{"t", "{{event.type}} {{event.rule}} {{kind}} {{key}} {{school.urn}}"},
                             {"s", "{{event.summary}} {{event.occurred_on}} {{event.period.from}}"},
                             {"p", "{{event.pupil.upn}} {{event.pupil.forename}}"},
                             {"sessions", "{{event.sessions_by_code}}"},
                             {"percent", "{{event.attendance_percent}}"},
                             {"alert", "{{event.action.alert}}"},
                             {"days", "{{event.action.due_in_school_days}}"},
                             {"nothing", "{{event.nothing}}"}};
  EXPECT_EQ(
      renderTemplate(body, context).dump(),
      R"json({"alert":["DSL"],"days":2,"nothing":null,"p":"B801200005001 Zoë","percent":61.5,"s":"10 unauthorised sessions 2024-09-27 2024-09-16","sessions":{"N":18,"O":2},"t":"concern statutory.concern notify ev-1@sink 140000"})json");
  EXPECT_EQ(context["event"], concern.toJson());
}
