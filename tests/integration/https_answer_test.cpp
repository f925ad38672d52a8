// What a kept-alive connection may hold after an answer: a destination that sends more than the
// answer it was asked for (an interim 1xx before it, a second answer after it in the same
// write) must never have those bytes read as the answer to the next request on that connection.
// Since connections pass from one school's sync to the next (connection_shelf.h), that next
// request may be another school's.

#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "connectors/common/https_client.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_listener.h"

using namespace markbridge;

namespace {

std::string answer(const std::string& status, const std::string& body) {
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Serves one connection at a time over TLS; `script(connection, request)` (both counted from
// 1) is the bytes written back, in one write, for each request read.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<std::string(int, int)> script)
      : script_(std::move(script)) {
    server_ = test::tlsListener();
    thread_ = std::thread([this] {
      while (!stop_) {
        if (!server_->poll(Poco::Timespan(50'000), Poco::Net::Socket::SELECT_READ)) continue;
        try {
          Poco::Net::StreamSocket client = server_->acceptConnection();
          client.setReceiveTimeout(Poco::Timespan(0, 100'000));
          int connection = ++connections_;
          int requests = 0;
          char request[8192];
          while (!stop_) {
            int n = 0;
            try {
              n = client.receiveBytes(request, sizeof request);
            } catch (const Poco::TimeoutException&) {
              continue;
            }
            if (n <= 0) break;  // the client closed the connection
            std::string bytes = script_(connection, ++requests);
            client.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
          }
        } catch (const Poco::Exception&) {
          // the connection broke: take the next
        }
      }
    });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(server_->address().port());
  }
  int connections() const { return connections_; }

 private:
  std::function<std::string(int, int)> script_;
  std::unique_ptr<Poco::Net::SecureServerSocket> server_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TlsSettings trusted() {
  return TlsSettings{test::certsDir() + "/ca.pem", "", "", ""};
}

// A notification posted, as a sink posts one.
HttpResponse post(HttpsClient& client) {
  HttpRequest request;
  request.path = "/notifications";
  request.body = "{}";
  return client.send(request);
}

}  // namespace

TEST(HttpsAnswer, BytesAfterTheAnswerAreNeverReadAsTheNextRequestsAnswer) {
  // The first answer comes with a second one stuck to it (a proxy's or a server's bug); every
  // later request is answered as asked.
  ScriptedServer server([](int connection, int request) {
    if (connection == 1 && request == 1)
      return answer("201 Created", R"({"reference":"FIRST"})") +
             answer("201 Created", R"({"reference":"NOT-ASKED-FOR"})");
    return answer("201 Created", R"({"reference":"SECOND"})");
  });
  HttpsClient client(server.url(), trusted(), 5000);
  auto first = post(client);
  EXPECT_EQ(first.status, 201) << first.transport_error;
  EXPECT_EQ(first.body, R"({"reference":"FIRST"})");
  auto second = post(client);
  EXPECT_EQ(second.status, 201) << second.transport_error;
  EXPECT_EQ(second.body, R"({"reference":"SECOND"})");
  EXPECT_EQ(server.connections(), 2);  // the first connection was not sent on again
}

TEST(HttpsAnswer, AnInterimAnswerAloneIsNoAnswerAndItsConnectionIsNotSentOnAgain) {
  // 103 Early Hints, then the final answer: Markbridge does not take the 103 for the answer
  // (it would be a refusal, and the item dead-lettered); the attempt is a transport failure,
  // retried, and what followed the 103 is not read as the next request's answer.
  ScriptedServer server([](int connection, int request) {
    if (connection == 1 && request == 1)
      return std::string("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n") +
             answer("201 Created", R"({"reference":"AFTER-HINTS"})");
    return answer("201 Created", R"({"reference":"SECOND"})");
  });
  HttpsClient client(server.url(), trusted(), 5000);
  auto first = post(client);
  EXPECT_EQ(first.status, 0);
  EXPECT_NE(first.transport_error.find("HTTP 103: an interim answer"), std::string::npos)
      << first.transport_error;
  auto second = post(client);
  EXPECT_EQ(second.status, 201) << second.transport_error;
  EXPECT_EQ(second.body, R"({"reference":"SECOND"})");
  EXPECT_EQ(server.connections(), 2);
}
