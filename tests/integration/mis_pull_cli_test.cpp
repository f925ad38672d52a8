// Black-box: the MIS API pull as the operator sees it from `markbridge sync`: a throttled pull
// waits until the HTTP date the API gave in Retry-After; a refused pull says nothing was stored.

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
