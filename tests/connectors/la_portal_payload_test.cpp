#include "connectors/outbound/la_portal/la_portal_payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rules/event.h"

using namespace markbridge;

namespace {

const School kSchool{"140000", "801", "4000", "Demo Academy"};

Event unauthorisedEvent() {
  Event event;
  event.id = "ev-1";
  event.rule = "statutory.unauthorised_10_day";
  event.type = "unauthorised_10_day";
  event.pupil =
      Pupil{"B801200005001", "1001", "Zoë", "O'Brien", Date::parseIso("2012-10-01"), "7", "7A", {}};
  event.pupil.flags.cp = true;
  event.from = *Date::parseIso("2024-09-16");
  event.to = *Date::parseIso("2024-09-27");
  event.occurred_on = event.to;
  event.sessions_by_code = {{"N", 20}};
  event.attendance_percent = 61.54;
  return event;
}

OutboxItem itemFor(OutboxKind kind) {
  OutboxItem item;
  item.kind = kind;
  item.payload = unauthorisedEvent().toJson();
  return item;
}

std::string bodyOf(const OutboxItem& item, const std::string& reference,
                   const LaPortalConfig& config) {
  return laPortalNotificationBody(item, SinkEvent::fromJson(item.payload), reference, kSchool,
                                  config);
}

}  // namespace

TEST(LaPortalPayload, ANotificationCarriesSchoolPupilPeriodAndSessions) {
  LaPortalConfig config;
  config.contact_email = "attendance@demo.sch.uk";
  auto body = nlohmann::json::parse(bodyOf(itemFor(OutboxKind::Notify), "", config));
  EXPECT_EQ(body["type"], "unauthorised_10_day");
  EXPECT_EQ(body["school"]["urn"], "140000");
  EXPECT_EQ(body["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(body["pupil"]["forename"], "Zoë");
  EXPECT_EQ(body["pupil"]["cp"], true);
  EXPECT_EQ(body["period"]["from"], "2024-09-16");
  EXPECT_EQ(body["sessions_by_code"]["N"], 20);
  EXPECT_DOUBLE_EQ(body["attendance_percent"].get<double>(), 61.5);
  EXPECT_EQ(body["contact"]["email"], "attendance@demo.sch.uk");
  EXPECT_FALSE(body["pupil"].contains("pp"));  // not part of the LA's form
}

TEST(LaPortalPayload, AWithdrawalNamesTheRecordItCorrectsAndNothingMore) {
  auto body =
      nlohmann::json::parse(bodyOf(itemFor(OutboxKind::Withdraw), "LA-100001", LaPortalConfig{}));
  EXPECT_EQ(body["type"], "update");
  EXPECT_EQ(body["corrects"]["reference"], "LA-100001");
  EXPECT_EQ(body["corrects"]["type"], "unauthorised_10_day");
  EXPECT_EQ(body["pupil"].size(), 1u);  // the UPN only: no names, no flags
  EXPECT_FALSE(body.contains("sessions_by_code"));
}

// OTW 3.2, "Communicating with the local authority when a pupil with an EHC plan has falling
// attendance": a notification type the LA portal takes (it extends interfaces.md).
TEST(LaPortalPayload, AnEhcpAttendanceConcernCarriesThePlanTheFigureAndTheBandFallen) {
  auto item = itemFor(OutboxKind::Notify);
  auto event = nlohmann::json::parse(item.payload);
  event["type"] = "ehcp_attendance_concern";
  event["pupil"]["ehcp"] = true;
  event["summary"] = "pupil with an EHC plan: attendance 93.5% on 2024-12-02, fallen below 94%";
  item.payload = event.dump();
  auto body = nlohmann::json::parse(bodyOf(item, "", LaPortalConfig{}));
  EXPECT_EQ(body["type"], "ehcp_attendance_concern");
  EXPECT_EQ(body["pupil"]["ehcp"], true);
  EXPECT_EQ(body["summary"], event["summary"]);
  EXPECT_DOUBLE_EQ(body["attendance_percent"].get<double>(), 61.5);
}

TEST(LaPortalConfig, TheSinkTakesEhcpAttendanceConcernsAndNamesTheTypesWhenOneIsUnknown) {
  auto problemsWith = [](const char* type) {
    std::vector<Problem> problems;
    ConfigContext context{"markbridge.json", &problems};
    LaPortalConfig::fromJson(nlohmann::json{{"name", "la"},
                                            {"type", "la_portal"},
                                            {"base_url", "https://la.example"},
                                            {"events", {"unauthorised_10_day", type}}},
                             "$.sinks[0]", ".", context);
    std::vector<Problem> events;
    for (const auto& p : problems)
      if (p.location.find(".events") != std::string::npos) events.push_back(p);
    return events;
  };
  EXPECT_TRUE(problemsWith("ehcp_attendance_concern").empty());
  auto problems = problemsWith("ehcp");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.sinks[0].events[1]");
  EXPECT_NE(problems[0].message.find("ehcp_attendance_concern"), std::string::npos);
}
