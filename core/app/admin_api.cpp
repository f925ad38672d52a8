#include "core/app/admin_api.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "connectors/common/https_client.h"
#include "connectors/common/secret.h"
#include "core/app/service.h"

namespace markbridge {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

void send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& body,
          const std::string& type = "application/json") {
  response.setStatus(status);
  response.setContentType(type);
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

std::string escapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

}  // namespace

std::string prometheusText(const ServiceFigures& f, const std::vector<SinkOutboxStats>& outbox,
                           int64_t nowMs) {
  std::ostringstream out;
  auto help = [&](const char* name, const char* type, const char* text) {
    out << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
  };
  help("markbridge_syncs_total", "counter", "Syncs run by the service, by result.");
  out << "markbridge_syncs_total{result=\"ok\"} " << f.syncs_ok << "\n"
      << "markbridge_syncs_total{result=\"failed\"} " << f.syncs_failed << "\n"
      << "markbridge_syncs_total{result=\"skipped\"} " << f.syncs_skipped << "\n";
  help("markbridge_marks_imported_total", "counter", "Marks added or amended by imports.");
  out << "markbridge_marks_imported_total " << f.marks_imported << "\n";
  help("markbridge_rule_firings_total", "counter", "New events the rules found.");
  out << "markbridge_rule_firings_total " << f.rule_firings << "\n";
  help("markbridge_delivered_total", "counter", "Outbox items delivered by the service.");
  out << "markbridge_delivered_total " << f.delivered << "\n";
  help("markbridge_outbox_items", "gauge", "Outbox items per sink and state.");
  for (const auto& s : outbox) {
    std::string sink = escapeLabel(s.sink);
    out << "markbridge_outbox_items{sink=\"" << sink << "\",state=\"pending\"} " << s.pending
        << "\nmarkbridge_outbox_items{sink=\"" << sink << "\",state=\"delivered\"} " << s.delivered
        << "\nmarkbridge_outbox_items{sink=\"" << sink << "\",state=\"dead\"} " << s.dead
        << "\nmarkbridge_outbox_items{sink=\"" << sink << "\",state=\"discarded\"} " << s.discarded
        << "\n";
  }
  help("markbridge_outbox_retries_total", "counter", "Delivery attempts beyond the first.");
  for (const auto& s : outbox)
    out << "markbridge_outbox_retries_total{sink=\"" << escapeLabel(s.sink) << "\"} " << s.retries
        << "\n";
  help("markbridge_outbox_oldest_pending_seconds", "gauge",
       "Age of the oldest undelivered item per sink (0: none).");
  for (const auto& s : outbox)
    out << "markbridge_outbox_oldest_pending_seconds{sink=\"" << escapeLabel(s.sink) << "\"} "
        << (s.oldest_pending_at ? (nowMs - s.oldest_pending_at) / 1000 : 0) << "\n";
  help("markbridge_last_successful_sync_timestamp_seconds", "gauge",
       "When each connector last worked through a whole sync (unix time).");
  for (const auto& [name, at] : f.last_success)
    out << "markbridge_last_successful_sync_timestamp_seconds{connector=\"" << escapeLabel(name)
        << "\"} " << at << "\n";
  return out.str();
}

struct AdminApi::Impl {
  Service& service;
  std::string token;
  Poco::Net::Context::Ptr context;
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  std::unique_ptr<Poco::Net::HTTPServer> http;

  void handle(HTTPServerRequest& request, HTTPServerResponse& response);
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(AdminApi::Impl& api) : api_(api) {}
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    try {
      api_.handle(request, response);
    } catch (const std::exception& e) {
      send(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
           nlohmann::json{{"error", e.what()}}.dump());
    }
  }

 private:
  AdminApi::Impl& api_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(AdminApi::Impl& api) : api_(api) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(api_);
  }

 private:
  AdminApi::Impl& api_;
};

nlohmann::json itemJson(const OutboxItem& item) {
  return {
      {"seq", item.seq},
      {"sink", item.sink},
      {"state", item.state == OutboxState::Rejected ? "dead" : std::string(toString(item.state))},
      {"kind", toString(item.kind)},
      {"event_id", item.event_id},
      {"attempts", item.attempts},
      {"last_error", item.last_error},
      {"reference", item.reference}};
}

}  // namespace

void AdminApi::Impl::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
  Poco::URI uri(request.getURI());
  const std::string path = uri.getPath();
  const std::string method = request.getMethod();
  auto figures = service.figures();
  if (path == "/health" && method == "GET")
    return send(
        response, HTTPResponse::HTTP_OK,
        nlohmann::json{
            {"status", "ok"}, {"last_sync", figures.last_sync}, {"next_sync", figures.next_sync}}
            .dump());
  if (request.get("Authorization", "") != "Bearer " + token)
    return send(response, HTTPResponse::HTTP_UNAUTHORIZED,
                nlohmann::json{{"error", "a bearer token is required"}}.dump());
  // Reads use their own connection to the store: they never wait for a sync.
  auto store = openSqliteStore(service.storePath().string());
  int64_t nowMs = static_cast<int64_t>(std::time(nullptr)) * 1000;
  if (path == "/metrics" && method == "GET")
    return send(response, HTTPResponse::HTTP_OK,
                prometheusText(figures, store->outboxBySink(), nowMs), "text/plain; version=0.0.4");
  if (path == "/status" && method == "GET") {
    auto s = store->status();
    nlohmann::json sinks = nlohmann::json::array();
    for (const auto& o : store->outboxBySink())
      sinks.push_back({{"sink", o.sink},
                       {"pending", o.pending},
                       {"delivered", o.delivered},
                       {"dead", o.dead},
                       {"retries", o.retries},
                       {"oldest_pending_seconds",
                        o.oldest_pending_at ? (nowMs - o.oldest_pending_at) / 1000 : 0}});
    return send(response, HTTPResponse::HTTP_OK,
                nlohmann::json{{"config", service.configFile().string()},
                               {"pupils", s.pupils},
                               {"marks", s.marks},
                               {"imports", s.imports},
                               {"last_import_at", s.last_import_at},
                               {"active_events", s.active_events},
                               {"last_sync", figures.last_sync},
                               {"next_sync", figures.next_sync},
                               {"syncs",
                                {{"ok", figures.syncs_ok},
                                 {"failed", figures.syncs_failed},
                                 {"skipped", figures.syncs_skipped}}},
                               {"outbox", sinks}}
                    .dump(2));
  }
  if (path == "/sync" && method == "POST") {
    bool busy = false;
    auto report = service.syncNow("sync asked for through the admin API", busy);
    if (!report)
      return send(
          response, HTTPResponse::HTTP_CONFLICT,
          nlohmann::json{{"error", "a sync is running; try again when it has finished"}}.dump());
    int imported = 0;
    for (const auto& i : report->imports)
      imported += i.outcome.marks_added + i.outcome.marks_amended;
    return send(response, HTTPResponse::HTTP_OK,
                nlohmann::json{{"marks_imported", imported},
                               {"new_events", report->evaluation.new_events},
                               {"delivered", report->delivery.delivered},
                               {"retried", report->delivery.retried},
                               {"dead_lettered", report->delivery.rejected},
                               {"pending", report->delivery.pending_left}}
                    .dump());
  }
  if (path == "/outbox" && method == "GET") {
    std::optional<OutboxState> state;
    for (const auto& [key, value] : uri.getQueryParameters())
      if (key == "state") state = outboxStateFrom(value);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : store->outbox(state, 500)) items.push_back(itemJson(item));
    return send(response, HTTPResponse::HTTP_OK, nlohmann::json{{"items", items}}.dump());
  }
  static const std::regex retry(R"(^/outbox/([0-9]+)/retry$)");
  std::smatch match;
  if (method == "POST" && std::regex_match(path, match, retry)) {
    bool done = store->retryOutbox(std::stoll(match[1]), nowMs);
    return send(response, done ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_NOT_FOUND,
                nlohmann::json{{"retried", done}}.dump());
  }
  send(response, HTTPResponse::HTTP_NOT_FOUND,
       nlohmann::json{{"error", "no such endpoint"}}.dump());
}

AdminApi::AdminApi(Service& service, const ServiceConfig& config)
    : impl_(std::make_unique<Impl>(Impl{service, "", nullptr, nullptr, nullptr})) {
  std::string error;
  auto token = readSecret(config.admin_token_env, config.admin_token_file, error);
  if (!token)
    throw std::runtime_error(
        "the admin API needs its token (service.admin_token_env or "
        "admin_token_file): " +
        error);
  impl_->token = *token;
  Poco::Net::SocketAddress address(config.admin_bind, static_cast<uint16_t>(config.admin_port));
  if (!config.admin_cert.empty()) {
    initialiseTls();
    Poco::Net::Context::Params params;
    params.certificateFile = config.admin_cert.string();
    params.privateKeyFile = config.admin_key.string();
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    impl_->context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    impl_->socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, impl_->context);
  } else {
    impl_->socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
  }
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(4);
  impl_->http =
      std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_), *impl_->socket, params);
  impl_->http->start();
}

AdminApi::~AdminApi() {
  if (impl_ && impl_->http) impl_->http->stopAll(true);
}

uint16_t AdminApi::port() const {
  return impl_->socket->address().port();
}

}  // namespace markbridge
