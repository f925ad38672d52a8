#include "tests/sandbox/sandbox_server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>

#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/sandbox/sandbox_state.h"

namespace markbridge::sandbox {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using State = SandboxServer::State;

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    const std::string& path = request.getURI();
    if (path.rfind("/_sandbox/", 0) == 0) return control(request, path, body, response);

    Faults faults;
    {
      std::lock_guard lock(state_->mutex);
      ++state_->requests;
      faults = state_->faults;
      if (state_->faults.drop > 0)
        --state_->faults.drop;
      else if (state_->faults.fail > 0)
        --state_->faults.fail;
      if (state_->faults.stall > 0) --state_->faults.stall;
    }
    if (state_->options.log_requests)
      std::cout << "sandbox: " << request.getMethod() << " " << path << std::endl;
    int wait = faults.delay_ms + (faults.stall > 0 ? faults.stall_ms : 0);
    if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    if (faults.drop > 0) {
      // Close the connection with no answer, as a crashed proxy would.
      auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
      impl.socket().shutdown();
      impl.socket().close();
      return;
    }
    if (faults.fail > 0) {
      if (faults.status == 429) response.set("Retry-After", "0");
      return reply(response, static_cast<HTTPResponse::HTTPStatus>(faults.status),
                   {{"error", "sandbox told to fail"}});
    }
    if (request.getMethod() == "GET" && path.rfind("/v1.0/schools/", 0) == 0)
      return serveMisAttendance(*state_, request, response);
    if (request.getMethod() != "POST")
      return reply(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, {{"error", "POST only"}});

    static const std::regex incidentChild(R"(^/api/v1/incidents/([0-9]+)/(actions|notes)$)");
    std::smatch match;
    if (path == "/api/v1/notifications") {
      if (request.get("Authorization", "") != "Bearer " + state_->options.la_token)
        return reply(response, HTTPResponse::HTTP_UNAUTHORIZED,
                     {{"error", "invalid bearer token"}});
      return record(request, "notification", body, response, HTTPResponse::HTTP_ACCEPTED);
    }
    if (request.get("X-API-Key", "") != state_->options.cpoms_key &&
        (path == "/api/v1/incidents" || std::regex_match(path, match, incidentChild)))
      return reply(response, HTTPResponse::HTTP_UNAUTHORIZED, {{"error", "invalid API key"}});
    if (path == "/api/v1/incidents")
      return record(request, "incident", body, response, HTTPResponse::HTTP_CREATED);
    if (std::regex_match(path, match, incidentChild))
      return record(request, match[2] == "actions" ? "action" : "note", body, response,
                    HTTPResponse::HTTP_CREATED);
    reply(response, HTTPResponse::HTTP_NOT_FOUND, {{"error", "no such endpoint"}});
  }

 private:
  void record(HTTPServerRequest& request, const std::string& kind, const std::string& body,
              HTTPServerResponse& response, HTTPResponse::HTTPStatus created) {
    auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object())
      return reply(response, HTTPResponse::HTTP_BAD_REQUEST,
                   {{"error", "body must be a JSON object"}});
    std::string key = request.get("Idempotency-Key", "");
    if (key.empty())
      return reply(response, HTTPResponse::HTTP_BAD_REQUEST,
                   {{"error", "Idempotency-Key required"}});
    if (kind == "notification" && (!json.contains("type") || !json.contains("pupil")))
      return reply(response, HTTPResponse::HTTP_UNPROCESSABLE_ENTITY,
                   {{"error", "type and pupil required"}});
    std::string reference;
    bool repeat = false;
    {
      std::lock_guard lock(state_->mutex);
      auto it = state_->byKey.find(kind + "|" + key);
      if (it != state_->byKey.end()) {
        ++state_->duplicates;
        reference = state_->records[it->second].reference;
        repeat = true;
      } else {
        reference = kind == "notification"
                        ? "LA-" + std::to_string(100000 + state_->nextNotification++)
                        : std::to_string(state_->nextIncident++);
        state_->byKey[kind + "|" + key] = state_->records.size();
        state_->records.push_back(Received{kind, reference, key, body});
      }
    }
    if (kind == "notification") {
      if (state_->options.log_requests && !repeat) {
        std::string upn = json["pupil"].value("upn", "");
        if (upn.size() > 5) upn = upn.substr(0, 1) + "..." + upn.substr(upn.size() - 4);
        std::string period = json.contains("period") ? json["period"].value("from", "") + ".." +
                                                           json["period"].value("to", "")
                                                     : "";
        std::cout << "LA portal received " << json.value("type", "?") << " for pupil " << upn
                  << ", " << period << " -> " << reference << std::endl;
      }
      return reply(response, repeat ? HTTPResponse::HTTP_OK : created, {{"reference", reference}});
    }
    reply(response, repeat ? HTTPResponse::HTTP_OK : created, {{"id", std::stoi(reference)}});
  }

  void control(HTTPServerRequest& request, const std::string& path, const std::string& body,
               HTTPServerResponse& response) {
    if (path == "/_sandbox/received" && request.getMethod() == "GET") {
      nlohmann::json list = nlohmann::json::array();
      std::lock_guard lock(state_->mutex);
      for (const auto& r : state_->records)
        list.push_back({{"kind", r.kind},
                        {"reference", r.reference},
                        {"idempotency_key", r.idempotency_key},
                        {"body", nlohmann::json::parse(r.body)}});
      return reply(
          response, HTTPResponse::HTTP_OK,
          {{"received", list}, {"requests", state_->requests}, {"duplicates", state_->duplicates}});
    }
    if (path == "/_sandbox/mis" && request.getMethod() == "POST") {
      auto json = nlohmann::json::parse(body, nullptr, false);
      if (json.is_discarded() || !json.is_object() ||
          !json.value("items", nlohmann::json()).is_array())
        return reply(response, HTTPResponse::HTTP_BAD_REQUEST, {{"error", "{\"items\": [...]}"}});
      std::lock_guard lock(state_->mutex);
      state_->misItems = json["items"].get<std::vector<nlohmann::json>>();
      state_->misPageSize = json.value("page_size", state_->misPageSize);
      return reply(response, HTTPResponse::HTTP_OK, {{"ok", true}});
    }
    if (path == "/_sandbox/faults" && request.getMethod() == "POST") {
      auto json = nlohmann::json::parse(body, nullptr, false);
      if (json.is_discarded() || !json.is_object())
        return reply(response, HTTPResponse::HTTP_BAD_REQUEST, {{"error", "JSON object expected"}});
      std::lock_guard lock(state_->mutex);
      state_->faults =
          Faults{json.value("fail", 0), json.value("status", 503), json.value("delay_ms", 0),
                 json.value("drop", 0), json.value("stall", 0),    json.value("stall_ms", 0)};
      return reply(response, HTTPResponse::HTTP_OK, {{"ok", true}});
    }
    reply(response, HTTPResponse::HTTP_NOT_FOUND, {{"error", "no such control endpoint"}});
  }

  std::shared_ptr<State> state_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace

struct SandboxServer::Server {
  Poco::Net::Context::Ptr context;
  std::unique_ptr<Poco::Net::SecureServerSocket> socket;
  std::unique_ptr<Poco::Net::HTTPServer> http;
};

SandboxServer::SandboxServer(SandboxOptions options)
    : options_(std::move(options)), state_(std::make_shared<State>()) {
  state_->options = options_;
}

SandboxServer::~SandboxServer() {
  stop();
}

void SandboxServer::start() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  server_ = std::make_unique<Server>();
  Poco::Net::Context::Params params;
  params.certificateFile = options_.cert_file;
  params.privateKeyFile = options_.key_file;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;
  params.loadDefaultCAs = false;
  server_->context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  server_->socket = std::make_unique<Poco::Net::SecureServerSocket>(
      Poco::Net::SocketAddress("127.0.0.1", options_.port), 64, server_->context);
  auto* params_ = new Poco::Net::HTTPServerParams;
  params_->setMaxThreads(8);
  params_->setKeepAlive(true);
  server_->http =
      std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), *server_->socket, params_);
  server_->http->start();
}

void SandboxServer::stop() {
  if (server_ && server_->http) {
    server_->http->stopAll(true);
    server_.reset();
  }
}

uint16_t SandboxServer::port() const {
  return server_ ? server_->socket->address().port() : 0;
}

void SandboxServer::setFaults(const Faults& faults) {
  std::lock_guard lock(state_->mutex);
  state_->faults = faults;
}

std::vector<Received> SandboxServer::received() const {
  std::lock_guard lock(state_->mutex);
  return state_->records;
}

int SandboxServer::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

void SandboxServer::setMisAttendance(std::vector<nlohmann::json> items, int pageSize) {
  std::lock_guard lock(state_->mutex);
  state_->misItems = std::move(items);
  state_->misPageSize = pageSize;
}

int SandboxServer::misRequests() const {
  std::lock_guard lock(state_->mutex);
  return state_->misRequests;
}

int SandboxServer::duplicates() const {
  std::lock_guard lock(state_->mutex);
  return state_->duplicates;
}

}  // namespace markbridge::sandbox
