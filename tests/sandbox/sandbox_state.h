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
  // Incidents by reference, and their references by external_ref: looked up as a real CPOMS
  // looks them up (by index, not by reading every record: a trust's benchmark keeps 40,000).
  std::set<std::string> incidents;
  std::map<std::string, std::vector<int>> incidentsByExternalRef;
  int requests = 0;
  int duplicates = 0;
  int nextIncident = 1;
  int nextNotification = 1;
  std::vector<nlohmann::json> misItems;  // MIS attendance items, each with updated_at.date
  int misPageSize = 2;
  int misRequests = 0;
  std::vector<std::string> misIncludes;  // the `include` of each MIS page served
  std::set<std::string> tokens;          // OAuth2 tokens that work
  // Those asked for with Graph's scope (https://graph.microsoft.com/.default): the only ones
  // Graph's sendMail takes (any other is for another audience).
  std::set<std::string> graphTokens;
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

// Microsoft Graph's sendMail (sandbox_graph.cpp): whether `path` is POST
// /v1.0/users/{sender}/sendMail; Graph's error object for a fault the test asked for; the mail
// checked and recorded as Graph would take it (202, no body). `authorised`: the request carried a
// token the sandbox issued for Graph's scope (or any, with accept_any_bearer). True when the answer
// must be lost (the caller hangs up): the mail was recorded all the same.
bool isGraphSendMail(const std::string& path);
void replyGraphFault(Poco::Net::HTTPServerResponse& response, int status);
bool serveGraphSendMail(SandboxServer::State& state, Poco::Net::HTTPServerRequest& request,
                        const std::string& body, Poco::Net::HTTPServerResponse& response,
                        bool authorised, bool dropAnswer);

}  // namespace markbridge::sandbox
