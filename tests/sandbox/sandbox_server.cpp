#include "tests/sandbox/sandbox_server.h"

#include <Poco/Base64Decoder.h>
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
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "core/domain/la_notification_types.h"
#include "tests/sandbox/sandbox_state.h"

namespace markbridge::sandbox {

namespace {

// One line of the log, written whole: requests are answered on several threads, and a line
// written in pieces can be cut by another's.
void printLine(const std::string& line) {
  std::string whole = line + "\n";
  std::fwrite(whole.data(), 1, whole.size(), stdout);
  std::fflush(stdout);
}

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using State = SandboxServer::State;

// Every string in a JSON text, depth first.
void stringsIn(const nlohmann::json& json, std::vector<std::string>& out) {
  if (json.is_string()) out.push_back(json.get<std::string>());
  if (json.is_structured())
    for (const auto& part : json) stringsIn(part, out);
}

// Faults::echo: the refused request's strings in capitals and \u-escaped, as raw JSON text.
void replyEcho(HTTPServerResponse& response, int status, const std::string& body) {
  std::vector<std::string> strings;
  stringsIn(nlohmann::json::parse(body, nullptr, false), strings);
  // Shortest first (names and UPNs before long texts), so even a 200-character excerpt of the
  // answer quotes the pupil.
  std::stable_sort(strings.begin(), strings.end(),
                   [](const auto& a, const auto& b) { return a.size() < b.size(); });
  std::string all;
  for (const auto& s : strings) all += s + " ";
  std::string upper = all;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string escaped;
  for (unsigned char c : all) {
    char unit[8];
    std::snprintf(unit, sizeof unit, "\\u%04x", c);
    escaped += unit;
  }
  std::string text = "{\"error\":\"refused: " + nlohmann::json(upper).dump().substr(1);
  text.pop_back();
  text += "\",\"escaped\":\"" + escaped + "\"}";
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  response.send() << text;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    const std::string& path = request.getURI();
    if (path.rfind("/_sandbox/", 0) == 0) return control(request, path, body, response);

    Faults faults;
    bool randomFail = false, randomDrop = false, slow = false;
    {
      std::unique_lock lock(state_->mutex);
      ++state_->requests;
      faults = state_->faults;
      if (state_->faults.pass > 0) {
        --state_->faults.pass;
        faults = Faults{};  // this one goes through untouched
      } else {
        if (state_->faults.drop > 0)
          --state_->faults.drop;
        else if (state_->faults.fail > 0)
          --state_->faults.fail;
        if (state_->faults.stall > 0) --state_->faults.stall;
        std::string what = request.getMethod() + " " + Poco::URI(path).getPath();
        if (faults.hold > 0 && (faults.hold_request.empty() || faults.hold_request == what)) {
          --state_->faults.hold;
          ++state_->holding;
          int releases = state_->releases;
          state_->released.wait(lock,
                                [&] { return state_->releases != releases || state_->stopping; });
          --state_->holding;
        }
      }
      auto roll = [&] { return static_cast<int>(state_->random() % 100); };
      randomFail = roll() < faults.fail_percent;
      randomDrop = roll() < faults.drop_percent;
      dropAnswer_ = randomDrop && roll() % 2 == 0;  // kept the record, lost the answer
      if (faults.drop_after_percent > 0 && roll() < faults.drop_after_percent) dropAnswer_ = true;
      slow = roll() < faults.slow_percent;
    }
    if (state_->options.log_requests) printLine("sandbox: " + request.getMethod() + " " + path);
    int wait =
        faults.delay_ms + (faults.stall > 0 ? faults.stall_ms : 0) + (slow ? faults.slow_ms : 0);
    // pacing: the slow destination the test asked for (a fault it injects, not a wait)
    if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    if (faults.drop > 0 || (randomDrop && !dropAnswer_)) return hangUp(request);
    if (faults.fail > 0 || randomFail) {
      if (isGraphSendMail(path)) return replyGraphFault(response, faults.status);
      if (faults.status == 429) response.set("Retry-After", "0");
      if (faults.echo) return replyEcho(response, faults.status, body);
      return reply(response, static_cast<HTTPResponse::HTTPStatus>(faults.status),
                   {{"error", "sandbox told to fail"}});
    }
    if (request.getMethod() == "GET" && path.rfind("/v1.0/schools/", 0) == 0)
      return serveMisAttendance(*state_, request, response);
    if (request.getMethod() == "POST" && path == "/oauth/token")
      return issueToken(request, body, response);

    if (request.getMethod() == "POST" && isGraphSendMail(path)) {
      if (serveGraphSendMail(*state_, request, body, response, graphBearer(request), dropAnswer_))
        hangUp(request);
      return;
    }

    static const std::regex incidentChild(R"(^/api/v1/incidents/([0-9]+)/(actions|notes)$)");
    std::smatch match;
    bool cpoms = path.rfind("/api/v1/incidents", 0) == 0;
    if (path == "/api/v1/notifications" && request.getMethod() == "POST") {
      if (!bearer(request, state_->options.la_token))
        return reply(response, HTTPResponse::HTTP_UNAUTHORIZED,
                     {{"error", "invalid bearer token"}});
      return record(request, "notification", body, response, HTTPResponse::HTTP_ACCEPTED);
    }
    if (cpoms && request.get("X-API-Key", "") != state_->options.cpoms_key && !bearer(request, ""))
      return reply(response, HTTPResponse::HTTP_UNAUTHORIZED, {{"error", "invalid API key"}});
    if (cpoms && request.getMethod() == "GET") return lookupIncidents(request, response);
    if (path.rfind("/hooks/", 0) == 0) {
      if (request.get("X-API-Key", "") != state_->options.cpoms_key && !bearer(request, ""))
        return reply(response, HTTPResponse::HTTP_UNAUTHORIZED, {{"error", "invalid API key"}});
      return record(request, "hook", body, response, HTTPResponse::HTTP_CREATED);
    }
    if (request.getMethod() != "POST")
      return reply(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, {{"error", "POST only"}});
    if (path == "/api/v1/incidents")
      return record(request, "incident", body, response, HTTPResponse::HTTP_CREATED);
    if (std::regex_match(path, match, incidentChild)) {
      bool known = false;
      {
        std::lock_guard lock(state_->mutex);
        known = state_->incidents.count(match[1].str()) > 0;
      }
      if (!known)
        return reply(response, HTTPResponse::HTTP_NOT_FOUND, {{"error", "no such incident"}});
      return record(request, match[2] == "actions" ? "action" : "note", body, response,
                    HTTPResponse::HTTP_CREATED);
    }
    reply(response, HTTPResponse::HTTP_NOT_FOUND, {{"error", "no such endpoint"}});
  }

 private:
  // Closes the connection with no answer, as a crashed proxy would.
  static void hangUp(HTTPServerRequest& request) {
    auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
    impl.socket().shutdown();
    impl.socket().close();
  }

  // The static token (if any) or an OAuth2 token this sandbox issued and has not revoked.
  bool bearer(HTTPServerRequest& request, const std::string& staticToken) {
    auto header = request.get("Authorization", "");
    if (header.rfind("Bearer ", 0) != 0) return false;
    auto token = header.substr(7);
    if (!staticToken.empty() && token == staticToken) return true;
    if (state_->options.accept_any_bearer && !token.empty()) return true;
    std::lock_guard lock(state_->mutex);
    return state_->tokens.count(token) > 0;
  }

  // A token this sandbox issued for Graph's scope (or any, with accept_any_bearer): Graph
  // refuses a token for another audience.
  bool graphBearer(HTTPServerRequest& request) {
    if (!bearer(request, "")) return false;
    if (state_->options.accept_any_bearer) return true;
    std::lock_guard lock(state_->mutex);
    return state_->graphTokens.count(request.get("Authorization", "").substr(7)) > 0;
  }

  // The client's id and secret from an HTTP Basic header (each part form-decoded, RFC 6749
  // 2.3.1); nothing when there is none.
  static std::optional<std::pair<std::string, std::string>> basicCredentials(
      HTTPServerRequest& request) {
    auto header = request.get("Authorization", "");
    if (header.rfind("Basic ", 0) != 0) return std::nullopt;
    std::istringstream in(header.substr(6));
    Poco::Base64Decoder decoder(in);
    std::string decoded((std::istreambuf_iterator<char>(decoder)),
                        std::istreambuf_iterator<char>());
    auto colon = decoded.find(':');
    if (colon == std::string::npos) return std::nullopt;
    auto formDecode = [](std::string text) {
      std::replace(text.begin(), text.end(), '+', ' ');
      std::string out;
      Poco::URI::decode(text, out);
      return out;
    };
    return std::pair{formDecode(decoded.substr(0, colon)), formDecode(decoded.substr(colon + 1))};
  }

  void issueToken(HTTPServerRequest& request, const std::string& body,
                  HTTPServerResponse& response) {
    std::map<std::string, std::string> form;
    for (const auto& [key, value] : Poco::URI("/?" + body).getQueryParameters()) form[key] = value;
    if (form["grant_type"] != "client_credentials")
      return reply(response, HTTPResponse::HTTP_BAD_REQUEST, {{"error", "unsupported_grant_type"}});
    const auto& allowed = state_->options.oauth_client_auth;
    auto basic = allowed == "post" ? std::nullopt : basicCredentials(request);
    std::string id = basic ? basic->first : allowed == "basic" ? "" : form["client_id"];
    std::string secret = basic ? basic->second : allowed == "basic" ? "" : form["client_secret"];
    if (id != state_->options.oauth_client_id || secret != state_->options.oauth_client_secret) {
      if (allowed != "post") response.set("WWW-Authenticate", "Basic realm=\"sandbox\"");
      return reply(
          response, HTTPResponse::HTTP_UNAUTHORIZED,
          {{"error", "invalid_client"}, {"error_description", "client authentication failed"}});
    }
    std::string token;
    {
      std::lock_guard lock(state_->mutex);
      token = "oauth-" + std::to_string(++state_->tokensIssued) + "-" +
              std::to_string(state_->random());
      state_->tokens.insert(token);
      if (form["scope"] == "https://graph.microsoft.com/.default")
        state_->graphTokens.insert(token);
    }
    reply(response, HTTPResponse::HTTP_OK,
          {{"access_token", token},
           {"token_type", "Bearer"},
           {"expires_in", state_->options.oauth_expires_in_as_text
                              ? nlohmann::json(std::to_string(state_->options.oauth_expires_in))
                              : nlohmann::json(state_->options.oauth_expires_in)}});
  }

  void lookupIncidents(HTTPServerRequest& request, HTTPServerResponse& response) {
    std::string ref;
    for (const auto& [key, value] : Poco::URI(request.getURI()).getQueryParameters())
      if (key == "external_ref") ref = value;
    nlohmann::json data = nlohmann::json::array();
    std::lock_guard lock(state_->mutex);
    if (auto found = state_->incidentsByExternalRef.find(ref);
        !ref.empty() && found != state_->incidentsByExternalRef.end())
      for (int id : found->second) data.push_back({{"id", id}, {"external_ref", ref}});
    reply(response, HTTPResponse::HTTP_OK, {{"data", data}});
  }

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
    if (kind == "notification") {
      // The portal's types (../shared/domain/interfaces.md, with ehcp_attendance_concern).
      auto type = json["type"].is_string() ? json["type"].get<std::string>() : "";
      if (!isLaNotificationType(type) && type != "update" && type != "new_pupil" &&
          type != "deletion")
        return reply(response, HTTPResponse::HTTP_UNPROCESSABLE_ENTITY,
                     {{"error", "unknown notification type"}, {"type", json["type"]}});
      if (type == "ehcp_attendance_concern" &&
          (!json["pupil"].is_object() || json["pupil"].value("ehcp", false) != true))
        return reply(response, HTTPResponse::HTTP_UNPROCESSABLE_ENTITY,
                     {{"error",
                       "ehcp_attendance_concern is for a pupil with an EHC plan: "
                       "pupil.ehcp must be true"}});
    }
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
        if (kind == "incident") {
          state_->incidents.insert(reference);
          if (json.contains("external_ref") && json["external_ref"].is_string())
            state_->incidentsByExternalRef[json["external_ref"].get<std::string>()].push_back(
                std::stoi(reference));
        }
        auto authorization = request.get("Authorization", "");
        state_->records.push_back(
            Received{kind, reference, key, body, request.getMethod() + " " + request.getURI(),
                     authorization.rfind("Bearer ", 0) == 0 ? authorization.substr(7) : ""});
      }
    }
    if (dropAnswer_) return hangUp(request);
    if (kind == "notification") {
      if (state_->options.log_requests && !repeat) {
        std::string upn = json["pupil"].value("upn", "");
        if (upn.size() > 5) upn = upn.substr(0, 1) + "..." + upn.substr(upn.size() - 4);
        std::string period = json.contains("period") ? json["period"].value("from", "") + ".." +
                                                           json["period"].value("to", "")
                                                     : "";
        // The admission register's returns carry their dates, not a period.
        if (json.contains("admission_date"))
          period = "admitted " + json.value("admission_date", "") +
                   (json.value("late", false) ? " (late)" : "");
        if (json.contains("leaving_date")) period = "left " + json.value("leaving_date", "");
        if (json.contains("missing_education") && json["missing_education"].is_object())
          period += " (" + json["missing_education"].value("reason", "") + ")";
        printLine("LA portal received " + json.value("type", "?") + " for pupil " + upn + ", " +
                  period + " -> " + reference);
      }
      return reply(response, repeat ? HTTPResponse::HTTP_OK : created, {{"reference", reference}});
    }
    if (state_->options.log_requests && !repeat && kind != "hook") {
      // A digest's incident has "student": null (it lists many pupils).
      std::string upn = json.contains("student") && json["student"].is_object()
                            ? json["student"].value("upn", "")
                            : "";
      if (upn.size() > 5) upn = upn.substr(0, 1) + "..." + upn.substr(upn.size() - 4);
      printLine("CPOMS received " + kind + " " + reference +
                (upn.empty() ? "" : " for pupil " + upn));
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
      state_->faults = Faults{json.value("fail", 0),          json.value("status", 503),
                              json.value("delay_ms", 0),      json.value("drop", 0),
                              json.value("stall", 0),         json.value("stall_ms", 0),
                              json.value("fail_percent", 0),  json.value("drop_percent", 0),
                              json.value("slow_percent", 0),  json.value("slow_ms", 0),
                              json.value("pass", 0),          json.value("hold", 0),
                              json.value("hold_request", ""), json.value("drop_after_percent", 0),
                              json.value("echo", false)};
      return reply(response, HTTPResponse::HTTP_OK, {{"ok", true}});
    }
    if (path == "/_sandbox/release" && request.getMethod() == "POST") {
      {
        std::lock_guard lock(state_->mutex);
        ++state_->releases;
      }
      state_->released.notify_all();
      return reply(response, HTTPResponse::HTTP_OK, {{"ok", true}});
    }
    if (path == "/_sandbox/revoke-tokens" && request.getMethod() == "POST") {
      std::lock_guard lock(state_->mutex);
      state_->tokens.clear();
      state_->graphTokens.clear();
      return reply(response, HTTPResponse::HTTP_OK, {{"ok", true}});
    }
    reply(response, HTTPResponse::HTTP_NOT_FOUND, {{"error", "no such control endpoint"}});
  }

  std::shared_ptr<State> state_;
  bool dropAnswer_ = false;
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
  // Its own threads (Poco's default pool holds 16, shared by every server in the process): a
  // client may keep up to 64 connections alive at once (max_in_flight), each holding a thread.
  Poco::ThreadPool threads{2, 96};
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
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = false;
  }
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  server_ = std::make_unique<Server>();
  Poco::Net::Context::Params params;
  params.certificateFile = options_.cert_file;
  params.privateKeyFile = options_.key_file;
  params.verificationMode = options_.require_client_cert ? Poco::Net::Context::VERIFY_STRICT
                                                         : Poco::Net::Context::VERIFY_NONE;
  params.caLocation = options_.ca_file;
  params.loadDefaultCAs = false;
  params.ecdhCurve = "X25519:P-256:X448:P-521:P-384";  // OpenSSL's default, as nginx has it
  server_->context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  // A server that verifies client certificates needs a session id context, or OpenSSL ends
  // the handshake when it hands out a session ticket.
  server_->context->enableSessionCache(true, "markbridge-sandbox");
  // A client certificate names the school, not the address it connects from.
  server_->context->enableExtendedCertificateVerification(false);
  server_->socket = std::make_unique<Poco::Net::SecureServerSocket>(
      Poco::Net::SocketAddress("127.0.0.1", options_.port), 64, server_->context);
  auto* params_ = new Poco::Net::HTTPServerParams;
  params_->setMaxThreads(80);  // a client may keep 64 connections alive (max_in_flight)
  params_->setMaxQueued(256);
  params_->setKeepAlive(true);
  params_->setKeepAliveTimeout(Poco::Timespan(options_.keep_alive_seconds, 0));
  server_->http = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), server_->threads,
                                                          *server_->socket, params_);
  server_->http->start();
}

void SandboxServer::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;  // held requests go on, so the server's threads can end
  }
  state_->released.notify_all();
  if (server_ && server_->http) {
    server_->http->stopAll(true);
    server_.reset();
  }
}

int SandboxServer::openConnections() const {
  return server_ && server_->http ? server_->http->currentConnections() : 0;
}

int SandboxServer::handshakes() const {
  return server_ ? static_cast<int>(SSL_CTX_sess_accept_good(server_->context->sslContext())) : 0;
}

int SandboxServer::resumedHandshakes() const {
  return server_ ? static_cast<int>(SSL_CTX_sess_hits(server_->context->sslContext())) : 0;
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

std::vector<std::string> SandboxServer::misIncludes() const {
  std::lock_guard lock(state_->mutex);
  return state_->misIncludes;
}

int SandboxServer::tokensIssued() const {
  std::lock_guard lock(state_->mutex);
  return state_->tokensIssued;
}

void SandboxServer::revokeTokens() {
  std::lock_guard lock(state_->mutex);
  state_->tokens.clear();
  state_->graphTokens.clear();
}

int SandboxServer::holding() const {
  std::lock_guard lock(state_->mutex);
  return state_->holding;
}

void SandboxServer::release() {
  {
    std::lock_guard lock(state_->mutex);
    ++state_->releases;
  }
  state_->released.notify_all();
}

int SandboxServer::duplicates() const {
  std::lock_guard lock(state_->mutex);
  return state_->duplicates;
}

}  // namespace markbridge::sandbox
