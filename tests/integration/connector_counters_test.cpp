// Every registered connector type counts records, bytes, retries and failures. A new connector
// type must add a sample here, or this test fails.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/inbound_connector.h"
#include "connectors/outbound/outbound_types.h"
#include "core/rules/event.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// The next `fail` requests answered `status` (named fields: a positional Faults{...} leaves the
// rest to -Wmissing-field-initializers).
sandbox::Faults failing(int fail, int status) {
  sandbox::Faults faults;
  faults.fail = fail;
  faults.status = status;
  return faults;
}

}  // namespace

TEST(ConnectorCounters, EveryInboundTypeCountsWhatItReads) {
  test::TempDir dir;
  // The MIS API serves one good mark, then (second pull) one with a code nobody knows.
  auto mis = test::startSandbox();
  auto misItem = [](const char* code, const char* updated) {
    return nlohmann::json{{"student", {{"upn", "B801200005001"}}},
                          {"date", {{"date", "2024-09-03 00:00:00"}}},
                          {"session", "AM"},
                          {"attendance_code", {{"code", code}}},
                          {"updated_at", {{"date", updated}}}};
  };
  mis->setMisAttendance({misItem("/", "2024-09-03 09:00:00")}, 2);
  ::setenv("MB_COUNTER_MIS_TOKEN", "mis-sandbox-token", 1);
  dir.write("good.csv", "UPN,Date,Session,Mark\nB801200005001,03/09/2024,AM,/\n");
  dir.write("bad.csv", "UPN,Date,Session,Mark\nB801200005001,03/09/2024,AM,ZZ\n");
  const std::string ctf =
      "<CTfile><CTFpupilData><Pupil><UPN>B801200005001</UPN><Attendance><YearData>"
      "<AttendSessions><AttendanceStartDate>2024-09-03</AttendanceStartDate>"
      "<AttendanceMarks>@</AttendanceMarks></AttendSessions></YearData></Attendance>"
      "</Pupil></CTFpupilData></CTfile>";
  dir.write("good.xml", ctf.substr(0, ctf.find('@')) + "/" + ctf.substr(ctf.find('@') + 1));
  dir.write("bad.xml", ctf.substr(0, ctf.find('@')) + "%" + ctf.substr(ctf.find('@') + 1));
  dir.write("good-census.xml",
            "<Message><Pupils><PupilsOnRoll><PupilOnRoll><PupilIdentifiers><UPN>B801200005001</"
            "UPN></PupilIdentifiers><Attendance><TermlyAttendance><SessionsPossible>2</"
            "SessionsPossible></TermlyAttendance></Attendance></PupilOnRoll></PupilsOnRoll></"
            "Pupils></Message>");
  dir.write("bad-census.xml", "<Message><Pupils>");
  const std::string report =
      "<SuperStarReport><Record><UPN>B801200005001</UPN><Date>2024-09-03T00:00:00</Date>"
      "<Session>AM</Session><Mark>@</Mark></Record></SuperStarReport>";
  dir.write("good-report.xml",
            report.substr(0, report.find('@')) + "/" + report.substr(report.find('@') + 1));
  dir.write("bad-report.xml",
            report.substr(0, report.find('@')) + "ZZ" + report.substr(report.find('@') + 1));
  const std::map<std::string, nlohmann::json> samples = {
      {"mis_rest",
       {{"name", "mis"},
        {"type", "mis_rest"},
        {"base_url", mis->baseUrl()},
        {"school_id", "1"},
        {"token_env", "MB_COUNTER_MIS_TOKEN"},
        {"ca_file", test::certsDir() + "/ca.pem"}}},
      {"census_xml",
       {{"name", "census"},
        {"type", "census_xml"},
        {"files", {"good-census.xml", "bad-census.xml"}}}},
      {"classcharts_csv",
       {{"name", "cc"}, {"type", "classcharts_csv"}, {"files", {"good.csv", "bad.csv"}}}},
      {"ctf_xml", {{"name", "c"}, {"type", "ctf_xml"}, {"files", {"good.xml", "bad.xml"}}}},
      {"sims_csv", {{"name", "s"}, {"type", "sims_csv"}, {"files", {"good.csv", "bad.csv"}}}},
      {"sims_reporter_xml",
       {{"name", "r"},
        {"type", "sims_reporter_xml"},
        {"files", {"good-report.xml", "bad-report.xml"}}}},
  };
  for (const auto& type : inboundTypes()) {
    auto sample = samples.find(std::string(type.type));
    ASSERT_NE(sample, samples.end()) << "add a sample for inbound type " << type.type;
    std::vector<Problem> problems;
    auto connector = type.build(sample->second, "$", dir.path(), ConfigContext{"c", &problems});
    ASSERT_TRUE(connector) << type.type;
    BatchCollector collector;
    connector->pull(collector);
    if (type.type == "mis_rest") {
      mis->setMisAttendance({misItem("ZZ", "2024-09-03 10:00:00")}, 2);
      connector->pull(collector);
    }
    auto& c = connector->counters();
    EXPECT_EQ(c.records, 1) << type.type;
    EXPECT_GT(c.bytes, 0) << type.type;
    EXPECT_EQ(c.failures, 1) << type.type;
  }
}

TEST(ConnectorCounters, EveryOutboundTypeCountsWhatItSends) {
  auto sandbox = test::startSandbox();
  auto& server = *sandbox;
  ::setenv("MB_COUNTER_TOKEN", "la-sandbox-token", 1);
  const std::map<std::string, nlohmann::json> samples = {
      {"la_portal",
       {{"name", "la"},
        {"type", "la_portal"},
        {"base_url", server.baseUrl()},
        {"ca_file", test::certsDir() + "/ca.pem"},
        {"auth", {{"type", "bearer"}, {"token_env", "MB_COUNTER_TOKEN"}}}}},
      {"cpoms", test::cpomsSink(server.baseUrl(), "MB_COUNTER_CPOMS_KEY")},
      {"webhook",
       {{"name", "hook"},
        {"type", "webhook"},
        {"base_url", server.baseUrl()},
        {"ca_file", test::certsDir() + "/ca.pem"},
        {"auth", {{"type", "api_key"}, {"key_env", "MB_COUNTER_CPOMS_KEY"}}},
        {"events", {"unauthorised_10_day"}},
        {"request", {{"path", "/hooks/x"}, {"body", {{"what", "{{event.type}}"}}}}}}},
      {"graph_mail",
       {{"name", "mail"},
        {"type", "graph_mail"},
        {"base_url", server.baseUrl()},
        {"ca_file", test::certsDir() + "/ca.pem"},
        {"auth",
         {{"type", "oauth2"},
          {"token_url", server.baseUrl() + "/oauth/token"},
          {"client_id", "markbridge"},
          {"client_secret_env", "MB_COUNTER_GRAPH_SECRET"},
          {"scope", "https://graph.microsoft.com/.default"}}},
        {"sender", "markbridge@school.example"},
        {"to", {{"attendance_officer", {"attendance@school.example"}}}},
        {"events", {"unauthorised_10_day"}}}},
  };
  ::setenv("MB_COUNTER_GRAPH_SECRET", "oauth-sandbox-secret", 1);
  ::setenv("MB_COUNTER_CPOMS_KEY", "cpoms-sandbox-key", 1);
  Event event;
  event.id = "ev-counter";
  event.type = "unauthorised_10_day";
  event.pupil.upn = "B801200005001";
  OutboxItem item;
  item.key = "ev-counter@la";
  auto typed = SinkEvent::of(event);
  for (const auto& type : outboundTypes()) {
    auto sample = samples.find(std::string(type.type));
    ASSERT_NE(sample, samples.end()) << "add a sample for outbound type " << type.type;
    std::vector<Problem> problems;
    auto sink = type.build(sample->second, "$", "/", School{}, ConfigContext{"c", &problems});
    ASSERT_TRUE(sink) << type.type;
    server.setFaults(failing(1, 503));
    sink->deliver(item, typed, "");  // 503: retry
    sink->deliver(item, typed, "");  // delivered
    server.setFaults(failing(1, 400));
    sink->deliver(item, typed, "");  // 400: rejected
    auto& c = sink->counters();
    EXPECT_EQ(c.records, 1) << type.type;
    EXPECT_EQ(c.retries, 1) << type.type;
    EXPECT_EQ(c.failures, 1) << type.type;
    EXPECT_GT(c.bytes, 0) << type.type;
  }
}
