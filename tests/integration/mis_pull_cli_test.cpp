// Black-box: the MIS API pull as the operator sees it from `markbridge sync`: a throttled pull
// waits until the HTTP date the API gave in Retry-After; a refused pull says nothing was stored;
// a Wonde-shaped API is read with only the `wonde` preset configured (the docs' example).

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Timestamp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// An MIS API that throttles its first request with `Retry-After: <HTTP date>` two to three
// seconds ahead, then serves an empty page; it notes when each request arrived.
class ThrottlingMis {
 public:
  ThrottlingMis() {
    Poco::Net::Context::Params params;
    params.certificateFile = test::certsDir() + "/server.pem";
    params.privateKeyFile = test::certsDir() + "/server.key";
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    context_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    socket_ = std::make_unique<Poco::Net::SecureServerSocket>(
        Poco::Net::SocketAddress("127.0.0.1", 0), 16, context_);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *socket_,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~ThrottlingMis() { server_->stopAll(true); }

  std::string baseUrl() const {
    return "https://127.0.0.1:" + std::to_string(socket_->address().port());
  }
  std::vector<std::chrono::system_clock::time_point> arrivals() {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }
  std::chrono::system_clock::time_point retryAt() {
    std::lock_guard lock(mutex_);
    return retryAt_;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(ThrottlingMis& mis) : mis(mis) {}
    void handleRequest(Poco::Net::HTTPServerRequest&,
                       Poco::Net::HTTPServerResponse& response) override {
      auto now = std::chrono::system_clock::now();
      std::unique_lock lock(mis.mutex_);
      mis.arrivals_.push_back(now);
      response.setContentType("application/json");
      if (mis.arrivals_.size() == 1) {
        // HTTP dates have whole seconds: the next whole second, plus two.
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
        mis.retryAt_ = std::chrono::system_clock::time_point(seconds + std::chrono::seconds(3));
        auto epoch = std::chrono::system_clock::to_time_t(mis.retryAt_);
        lock.unlock();
        response.set("Retry-After",
                     Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(epoch),
                                                     Poco::DateTimeFormat::HTTP_FORMAT));
        response.setStatus(Poco::Net::HTTPResponse::HTTP_TOO_MANY_REQUESTS);
        response.send() << R"({"error":"slow down"})";
        return;
      }
      lock.unlock();
      response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      response.send() << R"({"data":[],"meta":{"pagination":{"next":null}}})";
    }
    ThrottlingMis& mis;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(ThrottlingMis& mis) : mis(mis) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(mis);
    }
    ThrottlingMis& mis;
  };

  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::SecureServerSocket> socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mutex_;
  std::vector<std::chrono::system_clock::time_point> arrivals_;
  std::chrono::system_clock::time_point retryAt_;
};

nlohmann::json configWith(const nlohmann::json& source) {
  return test::schoolConfig({{"sources", {source}}});
}

// One session mark as Wonde's GET /v1.0/schools/{id}/attendance/session has it with everything
// included: each included object under `data`, the UPN only in the student's
// education_details. The sandbox answers it as each request's `include` asks.
nlohmann::json wondeItem(const std::string& upn, const std::string& misId, const std::string& date,
                         const std::string& session, const std::string& code,
                         const std::string& updated) {
  auto when = [](const std::string& at) {
    return nlohmann::json{{"date", at + ".000000"}, {"timezone_type", 3}, {"timezone", "UTC"}};
  };
  return {{"id", "A" + misId + date + session},
          {"student",
           {{"data",
             {{"id", "A" + misId},
              {"upi", "u" + misId},
              {"mis_id", misId},
              {"initials", "ZS"},
              {"surname", "Smith"},
              {"forename", "Zoë"},
              {"legal_surname", "Smith"},
              {"legal_forename", "Zoë"},
              {"education_details",
               {{"data",
                 {{"id", "E" + misId},
                  {"upn", upn},
                  {"former_upn", nullptr},
                  {"admission_number", misId}}}}}}}}},
          {"session", session},
          {"date", when(date + " 00:00:00")},
          {"attendance_code", {{"data", {{"id", "C" + code}, {"code", code}}}}},
          {"comment", nullptr},
          {"updated_at", when(updated)}};
}

struct WondeFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();

  void SetUp() override {
    dir.write("calendar.json", test::autumnCalendarJson());
    auto token = dir.write("wonde-token", "mis-sandbox-token\n");
    std::filesystem::permissions(
        token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    server->setMisAttendance(
        {wondeItem("B801200005001", "1001", "2024-09-03", "AM", "/", "2024-09-03 09:10:00"),
         wondeItem("B801200005001", "1001", "2024-09-03", "PM", "N", "2024-09-03 13:40:00"),
         wondeItem("K801400023001", "1002", "2024-09-03", "AM", "L", "2024-09-03 09:12:00")},
        2);
  }

  // The docs' Wonde example as a school would copy it, pointed at the sandbox.
  nlohmann::json wondeSource() {
    auto source = test::docExample("### Wonde: the `wonde` preset");
    if (!source.is_object()) return source;
    source["base_url"] = server->baseUrl();
    source["token_file"] = (dir / "wonde-token").string();
    source["ca_file"] = test::certsDir() + "/ca.pem";
    return source;
  }

  test::RunResult sync(const nlohmann::json& source) {
    dir.write("markbridge.json", configWith(source).dump(2));
    return test::runMarkbridge({"sync", "--config", "markbridge.json"}, {}, dir.path());
  }
};

}  // namespace

TEST(MisPullCli, AThrottledPullWaitsUntilTheHttpDateInRetryAfter) {
  test::TempDir dir;
  ThrottlingMis mis;
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("markbridge.json", configWith({{"name", "arbor"},
                                           {"type", "mis_rest"},
                                           {"base_url", mis.baseUrl()},
                                           {"school_id", "A1930499544"},
                                           {"token_env", "MB_MIS_TOKEN"},
                                           {"ca_file", test::certsDir() + "/ca.pem"},
                                           {"retry_base_ms", 5},
                                           {"max_attempts", 3}})
                                   .dump(2));
  auto run = test::runMarkbridge({"sync", "--config", "markbridge.json"},
                                 {{"MB_MIS_TOKEN", "mis-token"}}, dir.path());
  EXPECT_EQ(run.err.find("REJECTED"), std::string::npos) << run.err;
  auto arrivals = mis.arrivals();
  ASSERT_EQ(arrivals.size(), 2u) << run.out << run.err;
  // The second try came no earlier than the date the API named (not a few ms of backoff).
  EXPECT_GE(arrivals[1], mis.retryAt());
}

TEST(MisPullCli, ARefusedPullSaysNothingFromThisPullWasStored) {
  test::TempDir dir;
  auto server = test::startSandbox();
  dir.write("calendar.json", test::autumnCalendarJson());
  nlohmann::json config = test::schoolConfig({{"sources",
                                               {{{"name", "arbor"},
                                                 {"type", "mis_rest"},
                                                 {"base_url", server->baseUrl()},
                                                 {"school_id", "A1930499544"},
                                                 {"token_env", "MB_MIS_TOKEN"},
                                                 {"ca_file", test::certsDir() + "/ca.pem"},
                                                 {"max_attempts", 1}}}}});
  dir.write("markbridge.json", config.dump(2));
  auto run = test::runMarkbridge({"sync", "--config", "markbridge.json"},
                                 {{"MB_MIS_TOKEN", "wrong-token"}}, dir.path());
  EXPECT_NE(run.err.find("REJECTED " + server->baseUrl()), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nothing from this pull was stored"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("nothing from this file"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("wrong-token"), std::string::npos);  // never the secret
}

TEST_F(WondeFixture, TheDocsWondeExampleReadsUpnsThroughEducationDetailsWithOnlyThePreset) {
  auto source = wondeSource();
  ASSERT_TRUE(source.is_object()) << "no ```json example under the Wonde heading";
  EXPECT_FALSE(source.contains("fields"));  // the preset alone: no hand-mapping
  EXPECT_FALSE(source.contains("include"));
  auto run = sync(source);
  EXPECT_EQ(run.err.find("REJECTED"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("(source wonde): 3 rows, 3 marks added, 0 amended, 0 unchanged, 2 new "
                         "pupils"),
            std::string::npos)
      << run.out << run.err;
  // Two pages, each asked with the preset's include.
  auto includes = server->misIncludes();
  ASSERT_EQ(includes.size(), 2u);
  for (const auto& include : includes)
    EXPECT_EQ(include, "student,student.education_details,attendance_code");
  // The pupils are known by UPN (from education_details) and by MIS id.
  dir.write("markbridge.json", configWith(source).dump(2));
  auto explained = test::runMarkbridge({"explain", "--config", "markbridge.json", "K801400023001"},
                                       {}, dir.path());
  EXPECT_NE(explained.out.find("pupil K...3001"), std::string::npos) << explained.err;
  auto byMisId =
      test::runMarkbridge({"explain", "--config", "markbridge.json", "1001"}, {}, dir.path());
  EXPECT_NE(byMisId.out.find("pupil B...5001"), std::string::npos) << byMisId.err;
}

TEST_F(WondeFixture, IncludeIsConfigurableAndAMissingUpnIsNamedByItsPath) {
  auto source = wondeSource();
  ASSERT_TRUE(source.is_object());
  source["include"] = "student,attendance_code";  // education_details left out
  auto run = sync(source);
  EXPECT_NE(run.err.find("REJECTED " + server->baseUrl()), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nothing from this pull was stored"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("no UPN at student.data.education_details.data.upn"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("add student.education_details to `include`"), std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("has 0"), std::string::npos) << run.err;
  ASSERT_FALSE(server->misIncludes().empty());
  EXPECT_EQ(server->misIncludes().front(), "student,attendance_code");
}

TEST_F(WondeFixture, AnIncludeThatIsNotANameListOrAnUnknownPresetIsAConfigurationError) {
  auto source = wondeSource();
  ASSERT_TRUE(source.is_object());
  source["include"] = "student&token=x";
  dir.write("markbridge.json", configWith(source).dump(2));
  auto checked = test::runMarkbridge({"check", "--config", "markbridge.json"}, {}, dir.path());
  EXPECT_EQ(checked.exit_code, 2);
  EXPECT_NE(
      (checked.out + checked.err).find("$.sources[0].include: must be names separated by commas"),
      std::string::npos)
      << checked.out << checked.err;
  source.erase("include");
  source["preset"] = "wondee";
  dir.write("markbridge.json", configWith(source).dump(2));
  checked = test::runMarkbridge({"check", "--config", "markbridge.json"}, {}, dir.path());
  EXPECT_EQ(checked.exit_code, 2);
  EXPECT_NE((checked.out + checked.err).find("$.sources[0].preset: must be \"wonde\""),
            std::string::npos)
      << checked.out << checked.err;
  EXPECT_EQ(server->misRequests(), 0);  // nothing asked of the API
}

TEST(MisPullCli, RefusedCredentialsExitWithTheCredentialsCodeAndSayWhatToFix) {
  test::TempDir dir;
  auto server = test::startSandbox();
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("markbridge.json", configWith({{"name", "arbor"},
                                           {"type", "mis_rest"},
                                           {"base_url", server->baseUrl()},
                                           {"school_id", "A1930499544"},
                                           {"auth",
                                            {{"type", "oauth2"},
                                             {"token_url", server->baseUrl() + "/oauth/token"},
                                             {"client_id", "markbridge"},
                                             {"client_secret_env", "MB_MIS_SECRET"}}},
                                           {"ca_file", test::certsDir() + "/ca.pem"}})
                                   .dump(2));
  auto run = test::runMarkbridge({"sync", "--config", "markbridge.json"},
                                 {{"MB_MIS_SECRET", "revoked-secret"}}, dir.path());
  EXPECT_EQ(run.exit_code, 5) << run.out << run.err;  // kExitCredentialsRefused
  EXPECT_NE(run.err.find("OAuth2 token refused"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("check client_id, the client secret"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("source arbor was refused: the API refused our credentials"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("revoked-secret"), std::string::npos);  // never the secret
  EXPECT_EQ(server->misRequests(), 0);
}
