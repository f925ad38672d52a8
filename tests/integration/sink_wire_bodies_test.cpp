// What each sink puts on the wire, byte for byte, for every shape of event it is sent: the LA
// portal (notifications, corrections, the admission register's returns), CPOMS (concerns, tasks,
// notes, corrections) and a webhook whose template names every part of the event. Each event
// goes the way a real one does: its JSON as the outbox stores it, read back when the item is
// taken, and sent over HTTPS to the sandbox, which keeps the bytes it received. The expected
// bodies were captured from the sinks before events travelled typed, so this test is what says
// the typed event changed nothing a destination sees.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/outbound/outbound_types.h"
#include "core/outbox/la_notice.h"
#include "core/rules/event.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

Date day(const char* iso) {
  return *Date::parseIso(iso);
}

Event baseEvent(const std::string& id, const std::string& type) {
  Event e;
  e.id = id;
  e.rule = "statutory." + type;
  e.type = type;
  e.episode = "2024-09-16";
  e.pupil =
      Pupil{"B801200005001", "1001", "Zoë", "O'Brien \"Jr\"", day("2012-10-01"), "7", "7A", {}};
  e.pupil.flags.sen = true;
  e.pupil.flags.cp = true;
  e.occurred_on = day("2024-09-27");
  e.from = day("2024-09-16");
  e.to = day("2024-09-27");
  e.sessions_by_code = {{"N", 18}, {"O", 2}};
  e.attendance_percent = 61.54;
  e.summary = "10 unauthorised sessions (N x18, O x2) since 2024-09-16";
  return e;
}

struct Case {
  Case(std::string sink, Event event, OutboxKind kind = OutboxKind::Notify,
       std::string reference = "")
      : sink(std::move(sink)),
        event(std::move(event)),
        kind(kind),
        reference(std::move(reference)) {}
  std::string sink;  // la, cpoms, hook, mail, unnamed
  Event event;
  OutboxKind kind;
  std::string reference;               // for a correction
  int64_t created_at = 1727000000000;  // 2024-09-22: after the first new pupil return was due
  std::string payload;                 // what the outbox keeps, when not the event's own JSON
};

// The school's note that the LA portal accepted `laEvent`'s notification (kind Notify) or its
// withdrawal, as the delivery worker queues it (core/outbox/la_notice.h): its payload.
std::string laNoticePayload(const Event& laEvent, OutboxKind kind) {
  OutboxItem laItem;
  laItem.key = laEvent.id + "@la";
  laItem.sink = "la";
  laItem.event_id = laEvent.id;
  laItem.upn = laEvent.pupil.upn;
  laItem.kind = kind;
  const int64_t accepted = 1732284183000;  // 2024-11-22 14:03:03 UTC, 14:03 in London (GMT)
  auto notes = laNotices(laItem, SinkEvent::of(laEvent),
                         kind == OutboxKind::Notify ? "LA-100002" : "LA-100009",
                         kind == OutboxKind::Notify ? "" : "LA-100002", accepted, {"cpoms"});
  return notes.at(0).payload.value();
}

std::vector<Case> cases() {
  std::vector<Case> list;
  // LA portal: a notification, one with no date of birth, its withdrawal and revision.
  list.push_back({"la", baseEvent("ev-la-1", "unauthorised_10_day")});
  auto noDob = baseEvent("ev-la-2", "sickness_15_day");
  noDob.pupil.dob.reset();
  noDob.pupil.flags = {};
  noDob.attendance_percent = 95;
  noDob.sessions_by_code = {};
  list.push_back({"la", noDob});
  list.push_back(
      {"la", baseEvent("ev-la-1", "unauthorised_10_day"), OutboxKind::Withdraw, "LA-100000"});
  auto revised = baseEvent("ev-la-1", "unauthorised_10_day");
  revised.sessions_by_code = {{"N", 20}};
  revised.attendance_percent = 58.25;
  list.push_back({"la", revised, OutboxKind::Revise, "LA-100000"});
  auto ehcp = baseEvent("ev-la-3", "ehcp_attendance_concern");
  ehcp.pupil.flags.ehcp = true;
  ehcp.summary = "pupil with an EHC plan: attendance 93.5% on 2024-12-02, fallen below 94%";
  list.push_back({"la", ehcp});
  // The admission register's returns: a late new pupil return, deletions to a URN and a name.
  auto admitted = baseEvent("ev-la-4", "new_pupil");
  admitted.action = R"({"admission_date":"2024-09-16","due_on":"2024-09-21"})";
  list.push_back({"la", admitted});
  auto onTime = baseEvent("ev-la-5", "new_pupil");
  onTime.action = R"({"admission_date":"2024-09-16","due_on":"2030-01-01"})";
  list.push_back({"la", onTime});
  auto left = baseEvent("ev-la-6", "deletion");
  left.action = R"({"leaving_date":"2024-10-04","deletion_ground":"A","destination":"123456"})";
  list.push_back({"la", left});
  auto leftNamed = baseEvent("ev-la-7", "deletion");
  leftNamed.action =
      R"({"leaving_date":"2024-10-04","deletion_ground":"B","destination":"Elsewhere Academy"})";
  list.push_back({"la", leftNamed});
  // CPOMS: a concern with its categories and roles, one with neither, tasks, a note, corrections.
  auto concern = baseEvent("ev-cp-1", "concern");
  concern.action = R"({"categories":["Attendance","Safeguarding"],"alert":["DSL","head_of_year"]})";
  list.push_back({"cpoms", concern});
  list.push_back({"cpoms", baseEvent("ev-cp-2", "concern")});
  auto task = baseEvent("ev-cp-3", "task");
  task.action =
      R"({"assignee_role":"attendance_officer","due_on":"2024-10-01","text":"Call home"})";
  list.push_back({"cpoms", task});
  list.push_back({"cpoms", baseEvent("ev-cp-4", "task")});
  auto note = baseEvent("ev-cp-5", "note");
  note.action = R"({"text":"Letter 1 sent"})";
  list.push_back({"cpoms", note});
  list.push_back({"cpoms", baseEvent("ev-cp-6", "note")});
  list.push_back({"cpoms", concern, OutboxKind::Withdraw, "1"});
  list.push_back({"cpoms", concern, OutboxKind::Revise, "1"});
  // A webhook naming every part of the event.
  list.push_back({"hook", concern});
  list.push_back({"hook", baseEvent("ev-hk-1", "concern")});
  list.push_back({"hook", concern, OutboxKind::Withdraw, "7"});
  list.push_back({"hook", revised, OutboxKind::Revise, "8"});
  // What the school did before a notification (issue 14 item 5): in the LA body and in the
  // webhook's {{event}}. Added last so every earlier case keeps its key.
  auto withActions = baseEvent("ev-la-8", "unauthorised_10_day");
  withActions.actions_taken = std::vector<ActionTaken>{
      {day("2024-09-18"), "task for attendance_officer: Letter 1 home", "response.letter_1"},
      {day("2024-09-23"), "concern: attendance meeting", "response.meeting"}};
  list.push_back({"la", withActions});
  list.push_back({"hook", withActions});
  // graph_mail (issue 13 item 7): the mail of each kind of event, with names and without, and
  // both corrections. Appended so every earlier case keeps its key.
  auto mailTask = baseEvent("ev-ml-1", "task");
  mailTask.action =
      R"({"assignee_role":"attendance_officer","due_on":"2024-10-01","text":"Call home"})";
  list.push_back({"mail", mailTask});
  list.push_back({"mail", concern});
  auto mailNote = baseEvent("ev-ml-2", "note");
  mailNote.action = R"({"text":"Letter 1 sent"})";
  list.push_back({"mail", mailNote});
  list.push_back({"mail", withActions});
  list.push_back({"mail", concern, OutboxKind::Withdraw, "ev-cp-1/25@mail"});
  list.push_back({"mail", revised, OutboxKind::Revise, "ev-la-1/1@mail"});
  list.push_back({"unnamed", mailTask});
  // A digest (issue 14 item 4): CPOMS gets one incident with no student, alerting the role,
  // listing the pupils, and a task for that role; a revision is a note on it; a webhook's
  // template reads {{event.digest.*}}. Added last, as above.
  Event digest;
  digest.id = "ev-dg-1";
  digest.rule = "statutory.n_unresolved";
  digest.type = "digest";
  digest.episode = "2024-09-23/0123456789abcdef";
  digest.pupil.upn = "digest:statutory.n_unresolved";
  digest.occurred_on = day("2024-09-29");
  digest.from = day("2024-09-23");
  digest.to = day("2024-09-29");
  digest.sessions_by_code = {{"N", 5}};
  digest.summary =
      "Weekly digest of statutory.n_unresolved for attendance_officer, 2024-09-23 to "
      "2024-09-29: 2 pupils (1 new, 1 with figures moved); 1 no longer listed";
  digest.action = nlohmann::json{{"text", digest.summary},
                                 {"due_on", "2024-09-30"},
                                 {"assignee_role", "attendance_officer"},
                                 {"alert", {"attendance_officer"}}}
                      .dump();
  digest.digest = R"({"every":"week","to":"attendance_officer","pupils":[
    {"upn":"B801200005001","mis_id":"1001","forename":"Zoë","surname":"O'Brien \"Jr\"",
     "year":"7","reg_group":"7A","occurred_on":"2024-09-27","value":3,"sessions":3,
     "sessions_by_code":{"N":3},"attendance_percent":96.2,
     "summary":"3 N session(s) still unresolved on 2024-09-27","change":"moved",
     "before":{"value":1,"sessions":1,"attendance_percent":98.1}},
    {"upn":"B801200005002","mis_id":"1002","forename":"Amir","surname":"Khan",
     "year":"8","reg_group":"8C","occurred_on":"2024-09-27","value":2,"sessions":2,
     "sessions_by_code":{"N":2},"attendance_percent":97.4,
     "summary":"2 N session(s) still unresolved on 2024-09-27","change":"new"}],
    "gone":[{"upn":"B801200005003","mis_id":"1003","forename":"Ruth","surname":"Lee",
             "year":"9","reg_group":"9B"}],
    "counts":{"pupils":2,"new":1,"moved":1,"gone":1}})";
  list.push_back({"cpoms", digest});
  list.push_back({"cpoms", digest, OutboxKind::Revise, "1"});
  list.push_back({"digesthook", digest});
  // The LA was told (issue 14 item 5): CPOMS gets an incident on the pupil with a note saying
  // what, the LA's reference and when; the withdrawal the LA accepted is a note on that incident
  // (or, when there is none, an incident and note of its own). Added last, as above.
  auto told = baseEvent("ev-la-5", "unauthorised_10_day");
  Case notified{"cpoms", told};
  notified.payload = laNoticePayload(told, OutboxKind::Notify);
  list.push_back(notified);
  Case withdrawn{"cpoms", told, OutboxKind::Withdraw, "1"};
  withdrawn.payload = laNoticePayload(told, OutboxKind::Withdraw);
  list.push_back(withdrawn);
  Case withdrawnAlone{"cpoms", told, OutboxKind::Withdraw, ""};
  withdrawnAlone.payload = withdrawn.payload;
  list.push_back(withdrawnAlone);
  return list;
}

// A graph_mail sink sending as the sandbox tenant's mailbox, its token from the sandbox.
nlohmann::json graphMail(const std::string& name, bool names) {
  return {{"name", name},
          {"type", "graph_mail"},
          {"auth",
           {{"type", "oauth2"},
            {"token_url", "https://127.0.0.1:1/oauth/token"},  // set in sinkConfigs
            {"client_id", "markbridge"},
            {"client_secret_env", "MB_WIRE_GRAPH_SECRET"},
            {"scope", "https://graph.microsoft.com/.default"}}},
          {"sender", "markbridge@school.example"},
          {"to",
           {{"attendance_officer", {"attendance@school.example"}},
            {"DSL", {"dsl@school.example"}},
            {"head_of_year", {"hoy7@school.example", "dsl@school.example"}}}},
          {"events", {"concern", "task", "note", "unauthorised_10_day"}},
          {"names", names}};
}

nlohmann::json sinkConfigs(const std::string& baseUrl) {
  auto https = [&](nlohmann::json j) {
    j["base_url"] = baseUrl;
    j["ca_file"] = test::certsDir() + "/ca.pem";
    if (j["type"] == "graph_mail") j["auth"]["token_url"] = baseUrl + "/oauth/token";
    return j;
  };
  return {
      {"digesthook", https({{"name", "digesthook"},
                            {"type", "webhook"},
                            {"auth", {{"type", "api_key"}, {"key_env", "MB_WIRE_CPOMS_KEY"}}},
                            {"events", {"digest"}},
                            {"request",
                             {{"method", "POST"},
                              {"path", "/hooks/digests/{{event.rule}}"},
                              {"body",
                               {{"title", "{{event.summary}}"},
                                {"for", "{{event.digest.to}}"},
                                {"every", "{{event.digest.every}}"},
                                {"week", "{{event.period.from}} to {{event.period.to}}"},
                                {"listed", "{{event.digest.counts.pupils}}"},
                                {"pupils", "{{event.digest.pupils}}"},
                                {"gone", "{{event.digest.gone}}"}}}}}})},
      {"la", https({{"name", "la"},
                    {"type", "la_portal"},
                    {"auth", {{"type", "bearer"}, {"token_env", "MB_WIRE_LA_TOKEN"}}},
                    {"events",
                     {"unauthorised_10_day", "sickness_15_day", "ehcp_attendance_concern",
                      "new_pupil", "deletion"}},
                    {"contact",
                     {{"name", "Attendance Officer"},
                      {"email", "attendance@school.example"},
                      {"phone", "01632 960000"}}},
                    {"cause_notes", {{"sickness_15_day", "GP letter received 2024-09-20"}}}})},
      {"cpoms", https({{"name", "cpoms"},
                       {"type", "cpoms"},
                       {"auth", {{"type", "api_key"}, {"key_env", "MB_WIRE_CPOMS_KEY"}}},
                       {"categories", {"Attendance", "Pastoral"}}})},
      {"hook",
       https({{"name", "hook"},
              {"type", "webhook"},
              {"auth", {{"type", "api_key"}, {"key_env", "MB_WIRE_CPOMS_KEY"}}},
              {"events", {"concern", "unauthorised_10_day"}},
              {"request",
               {{"method", "POST"},
                {"path", "/hooks/pupils/{{event.pupil.upn}}/concerns/{{event.type}}"},
                {"headers", {{"X-School", "{{school.urn}}"}}},
                {"body",
                 {{"title", "Attendance: {{event.rule}} ({{kind}}, {{key}})"},
                  {"detail", "{{event.summary}}"},
                  {"occurred", "{{event.occurred_on}}"},
                  {"period", "{{event.period}}"},
                  {"from", "{{event.period.from}} to {{event.period.to}}"},
                  {"sessions", "{{event.sessions_by_code}}"},
                  {"sessions_text", "sessions {{event.sessions_by_code}}"},
                  {"percent", "{{event.attendance_percent}}"},
                  {"percent_text", "{{event.attendance_percent}}%"},
                  {"notify", "{{event.action.alert}}"},
                  {"categories", "{{event.action.categories}}"},
                  {"action", "{{event.action}}"},
                  {"pupil", "{{event.pupil}}"},
                  {"names", "{{event.pupil.forename}} {{event.pupil.surname}}"},
                  {"dob", "{{event.pupil.dob}}"},
                  {"flags", {"{{event.pupil.sen}}", "{{event.pupil.cp}}", "{{event.pupil.fsm}}"}},
                  {"ids", "{{event.event_id}} {{event.episode}} {{event.pupil.mis_id}}"},
                  {"year", "{{event.pupil.year}}/{{event.pupil.reg_group}}"},
                  {"school", "{{school}}"},
                  {"missing", "{{event.nothing}}"},
                  {"whole", "{{event}}"}}}}},
              {"correction",
               {{"path", "/hooks/concerns/{{reference}}/comments"},
                {"body",
                 {{"comment", "{{kind}}: the register was amended. {{event.summary}}"},
                  {"reference", "{{reference}}"},
                  {"whole", "{{event}}"}}}}}})},
      {"mail", https(graphMail("mail", true))},
      {"unnamed", https(graphMail("unnamed", false))},
  };
}

// What the sandbox received for every case, in order: "METHOD PATH" then the body.
std::string wireOf(const std::vector<sandbox::Received>& received) {
  std::ostringstream out;
  for (const auto& r : received) out << r.path << "\n" << r.body << "\n";
  return out.str();
}

std::string goldenPath() {
  return test::sourceDir() + "/tests/fixtures/sink_wire_bodies.txt";
}

}  // namespace

TEST(SinkWireBodies, EverySinkSendsTheBytesItSentBeforeEventsTravelledTyped) {
  auto sandbox = test::startSandbox();
  ::setenv("MB_WIRE_LA_TOKEN", "la-sandbox-token", 1);
  ::setenv("MB_WIRE_CPOMS_KEY", "cpoms-sandbox-key", 1);
  ::setenv("MB_WIRE_GRAPH_SECRET", "oauth-sandbox-secret", 1);
  auto configs = sinkConfigs(sandbox->baseUrl());
  School school{"140000", "801", "4000", "Demo Academy"};
  std::map<std::string, std::unique_ptr<Sink>> sinks;
  for (const auto& type : outboundTypes()) {
    for (const auto& [name, config] : configs.items()) {
      if (config["type"] != std::string(type.type)) continue;
      std::vector<Problem> problems;
      sinks[name] = type.build(config, "$.sinks", "/", school, ConfigContext{"c", &problems});
      ASSERT_TRUE(sinks[name]) << name << ": " << (problems.empty() ? "" : problems[0].message);
    }
  }
  int n = 0;
  for (const auto& c : cases()) {
    OutboxItem item;
    item.seq = ++n;
    item.key = c.event.id + "/" + std::to_string(n) + "@" + c.sink;
    item.sink = c.sink;
    item.event_id = c.event.id;
    item.upn = c.event.pupil.upn;
    item.kind = c.kind;
    item.created_at = c.created_at;
    item.payload = c.payload.empty() ? c.event.toJson() : c.payload;  // as the outbox keeps it
    // read back as the delivery worker does when it takes the item
    auto result = sinks.at(c.sink)->deliver(item, SinkEvent::fromJson(item.payload), c.reference);
    EXPECT_EQ(result.outcome, DeliveryResult::Outcome::Delivered)
        << "case " << n << " (" << c.sink << " " << c.event.type << "): " << result.reason;
  }
  auto wire = wireOf(sandbox->received());
  std::ifstream in(goldenPath(), std::ios::binary);
  ASSERT_TRUE(in) << goldenPath();
  std::string golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (wire != golden) {
    std::ofstream(testing::TempDir() + "sink_wire_bodies.actual.txt", std::ios::binary) << wire;
    ADD_FAILURE() << "the sinks' wire bodies differ from " << goldenPath()
                  << "; what was sent is in " << testing::TempDir()
                  << "sink_wire_bodies.actual.txt";
  }
}
