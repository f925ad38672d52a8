// The MIS REST connector against the sandbox's Wonde-style endpoint over real TLS, into a real
// SQLite store: paging, the updated_after high-water mark, throttling and refusals.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/mis_rest/mis_rest_connector.h"
#include "core/app/store_receiver.h"
#include "core/domain/field_limits.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

// The next `fail` requests answered `status`, the next `drop` closed with no answer (named
// fields: a positional Faults{...} leaves the rest to -Wmissing-field-initializers).
sandbox::Faults failing(int fail, int status, int drop = 0) {
  sandbox::Faults faults;
  faults.fail = fail;
  faults.status = status;
  faults.drop = drop;
  return faults;
}

nlohmann::json item(const std::string& upn, const std::string& misId, const std::string& date,
                    const std::string& session, const std::string& code,
                    const std::string& updated) {
  return {{"id", misId + date + session},
          {"student",
           {{"id", "S" + misId},
            {"upi", "u" + misId},
            {"upn", upn},
            {"mis_id", misId},
            {"forename", "Zoë"},
            {"surname", "Smith"}}},
          {"date", {{"date", date + " 00:00:00.000000"}, {"timezone", "Europe/London"}}},
          {"session", session},
          {"attendance_code", {{"code", code}}},
          {"comment", nullptr},
          {"updated_at", {{"date", updated + ".000000"}}}};
}

struct MisRestFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  std::unique_ptr<Store> store = openSqliteStore((dir / "register.db").string());
  SchoolCalendar calendar = test::autumnCalendar();

  void SetUp() override {
    ::setenv("MB_MIS_TOKEN", "mis-sandbox-token", 1);
    server->setMisAttendance(
        {item("B801200005001", "1001", "2024-09-03", "AM", "/", "2024-09-03 09:10:00"),
         item("B801200005001", "1001", "2024-09-03", "PM", "N", "2024-09-03 13:40:00"),
         item("", "1002", "2024-09-03", "AM", "L", "2024-09-03 09:12:00"),
         item("B801200005001", "1001", "2024-09-04", "AM", "O", "2024-09-04 09:05:00"),
         item("B801200005001", "1001", "2024-09-04", "PM", "\\", "2024-09-04 13:31:00")},
        2);
    // Pupil 1002 is known to the register by MIS id only (from the SIMS export).
    ImportBatch known;
    known.source = "sims";
    known.fingerprint = "seed";
    known.pupils.push_back(Pupil{"K801400023001", "1002", "Ann", "Smith", {}, "8", "8B", {}});
    store->importBatch(known, 1);
  }

  std::unique_ptr<InboundConnector> connector(nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json config = {{"name", "arbor"},
                             {"type", "mis_rest"},
                             {"base_url", server->baseUrl()},
                             {"school_id", "A1930499544"},
                             {"token_env", "MB_MIS_TOKEN"},
                             {"ca_file", test::certsDir() + "/ca.pem"},
                             {"retry_base_ms", 5}};
    config.update(extra);
    std::vector<Problem> problems;
    auto built = buildMisRestConnector(config, "$.sources[0]", "/", {"c.json", &problems});
    EXPECT_TRUE(problems.empty()) << problems.front().str();
    return built;
  }

  std::vector<ImportResult> pull(InboundConnector& source) {
    std::vector<ImportResult> results;
    StoreReceiver receiver(*store, calendar, 100,
                           [&](ImportResult&& r) { results.push_back(std::move(r)); });
    source.pull(receiver);
    return results;
  }
};

}  // namespace

TEST(MisPage, ReadsItemsByConfigurablePathsAndTheNextLink) {
  auto page = parseMisPage(
      R"({"data":[{"student":{"data":{"mis_id":"7"}},"date":{"date":"2024-09-03 00:00:00.000000"},
         "session":"PM","attendance_code":{"data":{"code":"I"}}}],
         "meta":{"pagination":{"next":"https://x/p?page=2"}}})",
      MisFieldPaths{"student.data.upn", "student.data.mis_id", "", "", "date.date", "session",
                    "attendance_code.data.code", "updated_at.date"});
  ASSERT_EQ(page.error, "");
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].mis_id, "7");
  EXPECT_EQ(page.items[0].date, "2024-09-03");
  EXPECT_EQ(page.items[0].code, "I");
  EXPECT_EQ(page.next, "https://x/p?page=2");
  EXPECT_FALSE(parseMisPage(R"({"data":[],"meta":{"pagination":{"next":null}}})", {}).next);
  EXPECT_NE(parseMisPage("<html>", {}).error, "");
  EXPECT_NE(parseMisPage(R"({"data":[1]})", {}).error, "");
}

TEST(MisRestConfig, TheWondePresetFillsFieldsAndIncludeAndWhatIsSetBesideItWins) {
  nlohmann::json json = {{"name", "wonde"},
                         {"type", "mis_rest"},
                         {"base_url", "https://api.wonde.com"},
                         {"school_id", "A1"},
                         {"token_env", "MB_MIS_TOKEN"},
                         {"preset", "wonde"},
                         {"fields", {{"code", "attendance_code.data.mark"}}}};
  std::vector<Problem> problems;
  auto config = MisRestConfig::fromJson(json, "$.sources[0]", "/", {"c.json", &problems});
  ASSERT_TRUE(problems.empty()) << problems.front().str();
  EXPECT_EQ(config.fields.upn, "student.data.education_details.data.upn");
  EXPECT_EQ(config.fields.mis_id, "student.data.mis_id");
  EXPECT_EQ(config.fields.code, "attendance_code.data.mark");  // set beside the preset: wins
  EXPECT_EQ(config.include, "student,student.education_details,attendance_code");

  json["include"] = "student,student.education_details";
  config = MisRestConfig::fromJson(json, "$.sources[0]", "/", {"c.json", &problems});
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(config.include, "student,student.education_details");
  for (const char* bad : {"", "student,", ",student", "student attendance_code", "a&b=c"}) {
    json["include"] = bad;
    problems.clear();
    MisRestConfig::fromJson(json, "$.sources[0]", "/", {"c.json", &problems});
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].location, "$.sources[0].include") << problems[0].str();
  }
}

TEST(MisRestConfig, AFieldPathNamesTheIncludesItReadsThrough) {
  EXPECT_EQ(includesRead("student.data.education_details.data.upn"),
            (std::vector<std::string>{"student", "student.education_details"}));
  EXPECT_EQ(includesRead("attendance_code.data.code"),
            (std::vector<std::string>{"attendance_code"}));
  EXPECT_TRUE(includesRead("student.upn").empty());
}

TEST(MisPage, ANumberTooLargeForADoubleIsRefusedNotAbortingTheProcess) {
  // Found by fuzz_mis_page: nlohmann throws out_of_range (406), not parse_error, for 1E999.
  auto page = parseMisPage(R"({"data":[{"session":"AM","n":77777E777}]})", {});
  EXPECT_EQ(page.error, "the response holds a number too large to read");
  EXPECT_TRUE(page.items.empty());
}

TEST_F(MisRestFixture, PagesThroughEverythingThenPullsOnlyWhatChangedSince) {
  auto arbor = connector();
  auto first = pull(*arbor);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(first[0].problems.empty()) << first[0].problems.front().str();
  EXPECT_EQ(first[0].rows, 5);
  EXPECT_EQ(first[0].outcome.marks_added, 5);
  EXPECT_EQ(server->misRequests(), 3);  // 2 + 2 + 1 items
  EXPECT_EQ(store->sourceState("arbor", "updated_after"), "2024-09-04 13:31:00");

  auto nothingNew = pull(*arbor);
  EXPECT_EQ(nothingNew[0].rows, 0);
  EXPECT_EQ(server->misRequests(), 4);

  // The office amends Tuesday afternoon's N to I after a phone call.
  server->setMisAttendance(
      {item("B801200005001", "1001", "2024-09-03", "PM", "I", "2024-09-05 10:00:00")}, 2);
  auto amended = pull(*arbor);
  EXPECT_EQ(amended[0].outcome.marks_amended, 1);
  auto history = store->amendments("B801200005001");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].old_code, "N");
  EXPECT_EQ(history[0].new_code, "I");
  EXPECT_EQ(store->sourceState("arbor", "updated_after"), "2024-09-05 10:00:00");
}

TEST_F(MisRestFixture, ThrottlingIsWaitedOutAndTheServersOutageRefusesThePullWhole) {
  auto arbor = connector({{"max_attempts", 3}});
  server->setFaults(failing(2, 429));
  auto throttled = pull(*arbor);
  ASSERT_TRUE(throttled[0].problems.empty()) << throttled[0].problems.front().str();
  EXPECT_EQ(throttled[0].outcome.marks_added, 5);
  EXPECT_EQ(arbor->counters().retries, 2);

  server->setMisAttendance(
      {item("B801200005001", "1001", "2024-09-05", "AM", "/", "2024-09-05 09:00:00")}, 2);
  server->setFaults(failing(3, 503));
  auto down = pull(*arbor);
  ASSERT_EQ(down[0].problems.size(), 1u);
  EXPECT_NE(down[0].problems[0].message.find("page 1: HTTP 503"), std::string::npos)
      << down[0].problems[0].message;
  EXPECT_NE(down[0].problems[0].message.find("after 3 tries"), std::string::npos);
  // Nothing moved: the next pull asks for the same changes again.
  EXPECT_EQ(store->sourceState("arbor", "updated_after"), "2024-09-04 13:31:00");
  auto recovered = pull(*arbor);
  EXPECT_EQ(recovered[0].outcome.marks_added, 1);
}

TEST_F(MisRestFixture, AWrongTokenOrAnUnknownPupilIsRefusedWithTheReason) {
  ::setenv("MB_MIS_TOKEN", "wrong", 1);
  auto refused = pull(*connector());
  ASSERT_EQ(refused[0].problems.size(), 1u);
  EXPECT_NE(refused[0].problems[0].message.find("HTTP 401"), std::string::npos);
  EXPECT_EQ(refused[0].problems[0].message.find("wrong"), std::string::npos);  // no secret

  ::setenv("MB_MIS_TOKEN", "mis-sandbox-token", 1);
  server->setMisAttendance({item("", "9999", "2024-09-03", "AM", "/", "2024-09-03 09:00:00")}, 2);
  auto unknown = pull(*connector());
  ASSERT_FALSE(unknown[0].problems.empty());
  EXPECT_EQ(unknown[0].problems[0].value, "9999");
  EXPECT_NE(unknown[0].problems[0].message.find("unknown pupil"), std::string::npos);
  EXPECT_EQ(store->status().marks, 0);
}

TEST_F(MisRestFixture, TheNightlyReconciliationReadsAgainWhatChangedInTheLastDays) {
  auto arbor = connector();
  ASSERT_EQ(pull(*arbor)[0].rows, 5);
  EXPECT_EQ(pull(*arbor)[0].rows, 0);  // from the high-water mark: nothing new
  // A change the MIS stamped with an older time (a back-dated correction) is missed by the
  // high-water mark, and found by reading the last days again.
  server->setMisAttendance(
      {item("B801200005001", "1001", "2024-09-04", "AM", "I", "2024-09-04 08:00:00")}, 2);
  EXPECT_EQ(pull(*arbor)[0].rows, 0);
  arbor->rewind(test::d("2024-09-04"));
  auto reconciled = pull(*arbor);
  ASSERT_EQ(reconciled.size(), 1u);
  EXPECT_EQ(reconciled[0].outcome.marks_amended, 1);
  EXPECT_EQ(store->amendments("B801200005001").back().new_code, "I");
  // Once only: the next pull is from the high-water mark again.
  EXPECT_EQ(pull(*arbor)[0].rows, 0);
}

TEST(MisPage, TextThatIsNotUtf8OrCutsANameShortIsRefusedWithoutShowingTheName) {
  auto page = [](const std::string& surname) {
    return parseMisPage(R"({"data":[{"student":{"upn":"B801200005001","surname":")" + surname +
                            R"("},"date":{"date":"2024-09-03"},"session":"AM",)"
                            R"("attendance_code":{"code":"/"}}]})",
                        {});
  };
  auto bytes = page("Smi\xEB");
  EXPECT_NE(bytes.error.find("not valid JSON (byte "), std::string::npos) << bytes.error;
  EXPECT_NE(bytes.error.find("ill-formed UTF-8 byte"), std::string::npos) << bytes.error;
  EXPECT_EQ(bytes.error.find("Smi"), std::string::npos) << bytes.error;
  EXPECT_EQ(page("Smi\\u0000th").error, "data[0].student.surname contains control character 0x00");
  EXPECT_NE(page("\\udc00").error.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(page(std::string(kMaxNameCharacters, 'a')).error, "");
  EXPECT_EQ(page(std::string(kMaxNameCharacters + 1, 'a')).error,
            "data[0].student.surname is longer than the limit of 100 characters (101)");
}

TEST(MisPage, DepthValuesAndSizeAreBoundedWhileReading) {
  std::string deep = R"({"data":)" + std::string(100000, '[');
  EXPECT_EQ(parseMisPage(deep, {}).error, "the response nests deeper than the limit of 16");
  std::string many = R"({"data":[)";
  for (std::size_t i = 0; i < kMaxMisPageValues; ++i) many += "1,";
  EXPECT_NE(parseMisPage(many + "1]}", {}).error.find("more values than the limit"),
            std::string::npos);
  EXPECT_NE(parseMisPage(std::string(kMaxMisPageBytes + 1, ' '), {}).error.find("8388608"),
            std::string::npos);
}

TEST(MisPage, APageThatIsNotJsonOrGivesAKeyTwiceSaysWhere) {
  auto cut = parseMisPage("{\"data\": [\n  {\"session\": \"AM\"},\n  {\"session\": ", {});
  EXPECT_NE(cut.error, "");
  EXPECT_EQ(cut.line, 3);
  EXPECT_GT(cut.column, 1);
  auto twice = parseMisPage(R"({"data":[{"session":"AM"},{"session":"AM","session":"PM"}]})", {});
  EXPECT_NE(twice.error.find("the same key is given twice"), std::string::npos) << twice.error;
  EXPECT_EQ(twice.location, "data[1].session");
  EXPECT_TRUE(twice.items.empty());
  auto nul = parseMisPage(R"({"data":[{"student":{"surname":"O\u0000Brien"}}]})", {});
  EXPECT_EQ(nul.location, "data[0].student.surname");
  // The 17th level (the page is level 1, `data` 2, the item 3) is the 15th array in `comment`.
  std::string tooDeep = "data[0].comment";
  for (int i = 0; i < 15; ++i) tooDeep += "[0]";
  auto deep = std::string(40, '[') + std::string(40, ']');
  EXPECT_EQ(parseMisPage(R"({"data":[{"comment":)" + deep + "}]}", {}).location, tooDeep);
}
