#pragma once
// The sandbox's shared state and reply helper (private to the sandbox's files).

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/sandbox/sandbox_server.h"

namespace markbridge::sandbox {

struct SandboxServer::State {
  SandboxOptions options;
  mutable std::mutex mutex;
  Faults faults;
  std::vector<Received> records;
  std::map<std::string, std::size_t> byKey;  // kind|idempotency key -> record
  int requests = 0;
  int duplicates = 0;
  int nextIncident = 1;
  int nextNotification = 1;
  std::vector<nlohmann::json> misItems;  // MIS attendance items, each with updated_at.date
  int misPageSize = 2;
  int misRequests = 0;
  std::vector<std::string> misIncludes;  // the `include` of each MIS page served
  std::set<std::string> tokens;          // OAuth2 tokens that work
  int tokensIssued = 0;
  std::mt19937 random{20241104};
  // Faults::hold: requests waiting for release() (or stop), and releases so far.
  std::condition_variable released;
  int holding = 0;
  int releases = 0;
  bool stopping = false;
};

void reply(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
           const nlohmann::json& body);

// GET /v1.0/schools/{school}/attendance/session?updated_after=...&include=...&page=N (bearer
// mis_token): the items updated after the time given, page_size at a time, with
// meta.pagination.next; items seeded in Wonde's shape are answered as `include` asks.
void serveMisAttendance(SandboxServer::State& state, Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response);

}  // namespace markbridge::sandbox
