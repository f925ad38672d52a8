#include "core/app/admin_api.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "connectors/common/https_client.h"
#include "connectors/common/secret.h"
#include "core/app/console/console.h"
#include "core/app/deployment_config.h"
#include "core/app/service.h"

namespace markbridge {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

// Which worker syncs the school now (several workers on one PostgreSQL store), or null.
nlohmann::json syncRunning(const std::optional<LeaseHolder>& holder) {
  if (!holder) return nullptr;
  return {{"worker", holder->worker}, {"since", holder->since}, {"what", holder->what}};
}

// Which workers hold claims on the school's pending outbox items (PostgreSQL), and on how many.
nlohmann::json outboxClaims(const std::map<std::string, int>& claims) {
  nlohmann::json held = nlohmann::json::array();
  for (const auto& [worker, items] : claims) held.push_back({{"worker", worker}, {"items", items}});
  return held;
}

// How many idle or slow clients the API bears: each client has kHeadDeadline from connecting
// to send its whole request (TLS handshake included), then its connection is cut; while half the
// workers or more are waiting for requests (a crowd of idle clients) the limit is
// kCrowdedHeadDeadline. One request per connection (no keep-alive); kWorkers requests at once
// and kQueued waiting, beyond which a new connection is closed at once. So /health and /metrics
// answer within a second or two whatever is connected.
constexpr int kWorkers = 16;
constexpr int kQueued = 256;
constexpr auto kHeadDeadline = std::chrono::milliseconds(2000);
constexpr auto kCrowdedHeadDeadline = std::chrono::milliseconds(250);
// A console form (at most 8 KiB) must then arrive whole within this, however it trickles in.
constexpr auto kBodyDeadline = std::chrono::milliseconds(2000);

void send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& body,
          const std::string& type = "application/json") {
  response.setStatusAndReason(status);
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

std::string prometheusText(const std::vector<SchoolMetrics>& schools, int64_t nowMs) {
  std::ostringstream out;
  auto help = [&](const char* name, const char* type, const char* text) {
    out << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
  };
  // `name{school="URN",more}`: the school's label first, when there is one.
  auto series = [&](const SchoolMetrics& s, const char* name, const std::string& more = "") {
    std::string labels =
        s.urn.empty() ? more
                      : "school=\"" + escapeLabel(s.urn) + "\"" + (more.empty() ? "" : "," + more);
    out << name << (labels.empty() ? "" : "{" + labels + "}") << " ";
  };
  auto sinkLabel = [](const std::string& sink) { return "sink=\"" + escapeLabel(sink) + "\""; };
  help("markbridge_syncs_total", "counter", "Syncs run by the service, by result.");
  for (const auto& s : schools) {
    series(s, "markbridge_syncs_total", "result=\"ok\"");
    out << s.figures.syncs_ok << "\n";
    series(s, "markbridge_syncs_total", "result=\"failed\"");
    out << s.figures.syncs_failed << "\n";
    series(s, "markbridge_syncs_total", "result=\"skipped\"");
    out << s.figures.syncs_skipped << "\n";
  }
  auto single = [&](const char* name, const char* type, const char* text,
                    int64_t ServiceFigures::*member) {
    help(name, type, text);
    for (const auto& s : schools) {
      series(s, name);
      out << s.figures.*member << "\n";
    }
  };
  single("markbridge_marks_imported_total", "counter", "Marks added or amended by imports.",
         &ServiceFigures::marks_imported);
  single("markbridge_rule_firings_total", "counter", "New events the rules found.",
         &ServiceFigures::rule_firings);
  single("markbridge_delivered_total", "counter", "Outbox items delivered by the service.",
         &ServiceFigures::delivered);
  single("markbridge_delivery_retry_runs_total", "counter",
         "Delivery-only runs between registers, retrying waiting items when they fell due.",
         &ServiceFigures::retry_runs);
  single("markbridge_delivered_between_registers_total", "counter",
         "Of markbridge_delivered_total, those delivered by retries between registers.",
         &ServiceFigures::delivered_between_registers);
  help("markbridge_outbox_next_attempt_timestamp_seconds", "gauge",
       "When the next waiting outbox item is due (unix time; 0: none waiting).");
  for (const auto& s : schools) {
    series(s, "markbridge_outbox_next_attempt_timestamp_seconds");
    out << s.figures.next_retry_at_ms / 1000 << "\n";
  }
  help("markbridge_outbox_items", "gauge", "Outbox items per sink and state.");
  for (const auto& s : schools)
    for (const auto& o : s.outbox)
      for (auto [state, count] : {std::pair{"pending", o.pending},
                                  {"delivered", o.delivered},
                                  {"dead", o.dead},
                                  {"discarded", o.discarded}}) {
        series(s, "markbridge_outbox_items",
               sinkLabel(o.sink) + ",state=\"" + std::string(state) + "\"");
        out << count << "\n";
      }
  help("markbridge_outbox_retries_total", "counter", "Delivery attempts beyond the first.");
  for (const auto& s : schools)
    for (const auto& o : s.outbox) {
      series(s, "markbridge_outbox_retries_total", sinkLabel(o.sink));
      out << o.retries << "\n";
    }
  help("markbridge_outbox_oldest_pending_seconds", "gauge",
       "Age of the oldest undelivered item per sink (0: none).");
  for (const auto& s : schools)
    for (const auto& o : s.outbox) {
      series(s, "markbridge_outbox_oldest_pending_seconds", sinkLabel(o.sink));
      out << (o.oldest_pending_at ? (nowMs - o.oldest_pending_at) / 1000 : 0) << "\n";
    }
  help("markbridge_health_problems", "gauge",
       "Problems that make /health degraded (0: ok); /health says what each is.");
  for (const auto& s : schools) {
    series(s, "markbridge_health_problems");
    out << concernsIn(s.figures).size() << "\n";
  }
  help("markbridge_sink_state", "gauge",
       "1 for each sink's state: ok, retrying, paused: outage, paused: credentials.");
  for (const auto& s : schools)
    for (const auto& [name, h] : s.figures.sinks) {
      series(s, "markbridge_sink_state",
             sinkLabel(name) + ",state=\"" + std::string(toString(h.state)) + "\"");
      out << "1\n";
    }
  help("markbridge_last_successful_sync_timestamp_seconds", "gauge",
       "When each connector last worked through a whole sync (unix time).");
  for (const auto& s : schools)
    for (const auto& [name, at] : s.figures.last_success) {
      series(s, "markbridge_last_successful_sync_timestamp_seconds",
             "connector=\"" + escapeLabel(name) + "\"");
      out << at << "\n";
    }
  return out.str();
}

std::string prometheusText(const ServiceFigures& f, const std::vector<SinkOutboxStats>& outbox,
                           int64_t nowMs) {
  return prometheusText({SchoolMetrics{"", f, outbox}}, nowMs);
}

namespace {

// Cuts connections whose request has not arrived by their deadline. It holds its own duplicate
// of each socket's descriptor, so a cut never lands on a descriptor number reused meanwhile.
class HeadDeadlines {
 public:
  HeadDeadlines() : thread_([this] { loop(); }) {}
  ~HeadDeadlines() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    for (const auto& [id, watch] : watched_) ::close(watch.fd);
  }
  uint64_t watch(int fd) {
    std::lock_guard lock(mutex_);
    uint64_t id = ++next_;
    auto now = std::chrono::steady_clock::now();
    watched_[id] = {::dup(fd), now, now + kHeadDeadline};
    wake_.notify_all();
    return id;
  }
  void release(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = watched_.find(id);
    if (it == watched_.end()) return;
    if (it->second.fd >= 0) ::close(it->second.fd);
    watched_.erase(it);
  }
  // The head has arrived; the body must follow by `within` from now.
  void rearm(uint64_t id, std::chrono::milliseconds within) {
    std::lock_guard lock(mutex_);
    auto it = watched_.find(id);
    if (it == watched_.end()) return;
    auto now = std::chrono::steady_clock::now();
    it->second.started = now;
    it->second.deadline = now + within;
    wake_.notify_all();
  }
  // At shutdown: every connection still waiting for its request is cut now.
  void cutAll() {
    std::lock_guard lock(mutex_);
    for (auto& [id, watch] : watched_) watch.deadline = std::chrono::steady_clock::now();
    wake_.notify_all();
  }

 private:
  struct Watch {
    int fd;
    std::chrono::steady_clock::time_point started, deadline;
  };
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      auto now = std::chrono::steady_clock::now();
      auto next = now + std::chrono::seconds(1);
      int waiting = 0;
      for (const auto& [id, watch] : watched_) waiting += watch.fd >= 0;
      bool crowded = waiting >= kWorkers / 2;
      for (auto& [id, watch] : watched_) {
        if (watch.fd < 0) continue;
        auto limit = crowded ? std::min(watch.deadline, watch.started + kCrowdedHeadDeadline)
                             : watch.deadline;
        if (limit <= now) {
          ::shutdown(watch.fd, SHUT_RDWR);  // the blocked read returns; the worker is freed
          ::close(watch.fd);
          watch.fd = -1;
        } else {
          next = std::min(next, limit);
        }
      }
      wake_.wait_until(lock, next);
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<uint64_t, Watch> watched_;
  uint64_t next_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// The watch of the connection this thread serves: released once its request has arrived.
thread_local HeadDeadlines* tDeadlines = nullptr;
thread_local uint64_t tWatch = 0;

void requestArrived() {
  if (tDeadlines && tWatch) tDeadlines->release(tWatch);
  tWatch = 0;
}

// A console request with a body: its connection stays watched until the body is read.
void bodyExpected() {
  if (tDeadlines && tWatch) tDeadlines->rearm(tWatch, kBodyDeadline);
}

}  // namespace

void requestBodyRead() {
  requestArrived();
}

struct AdminApi::Impl {
  Service& service;
  std::string token;
  Poco::Net::Context::Ptr context;
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  HeadDeadlines deadlines;
  Poco::ThreadPool pool{2, kWorkers + 2};
  std::unique_ptr<Poco::Net::TCPServer> tcp;
  std::unique_ptr<Console> console;  // when service.console_users_file is set

  Impl(Service& s) : service(s) {}
  void handle(HTTPServerRequest& request, HTTPServerResponse& response);
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(AdminApi::Impl& api) : api_(api) {}
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    if (request.getMethod() == "POST" && request.getURI().rfind("/console/", 0) == 0)
      bodyExpected();  // the console reads the body (readForm), then calls requestBodyRead()
    else
      requestArrived();
    try {
      api_.handle(request, response);
      requestArrived();
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

// One HTTP connection, cut if its request has not arrived within kHeadDeadline.
class GuardedConnection : public Poco::Net::TCPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory, HeadDeadlines& deadlines)
      : TCPServerConnection(socket),
        http_(socket, std::move(params), std::move(factory)),
        deadlines_(deadlines) {}
  void run() override {
    tDeadlines = &deadlines_;
    tWatch = deadlines_.watch(socket().impl()->sockfd());
    uint64_t watch = tWatch;
    try {
      http_.run();
    } catch (...) {
    }
    deadlines_.release(watch);
    tWatch = 0;
  }

 private:
  Poco::Net::HTTPServerConnection http_;
  HeadDeadlines& deadlines_;
};

class ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  ConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory, HeadDeadlines& deadlines)
      : params_(std::move(params)), factory_(std::move(factory)), deadlines_(deadlines) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new GuardedConnection(socket, params_, factory_, deadlines_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  HeadDeadlines& deadlines_;
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
  const std::string& path = uri.getPath();
  const std::string& method = request.getMethod();
  // The web console: people log in with their own names (core/app/console/console.h).
  if (path == "/console" || path.starts_with("/console/")) {
    if (console) return console->handle(request, response);
    return send(response, HTTPResponse::HTTP_NOT_FOUND,
                "The console is not set up: set service.console_users_file (docs/console.md).\n",
                "text/plain; charset=utf-8");
  }
  // A trust's configuration: ?school=URN picks a school (POST /sync and the outbox need one).
  const bool many = service.manySchools();
  std::string urn;
  for (const auto& [key, value] : uri.getQueryParameters())
    if (key == "school") urn = value;
  if (path == "/health" && method == "GET") {
    // Degraded is still 200: the process is alive and a restart would not help; what a person
    // must do is in "problems" (alert on status != "ok").
    auto healthOf = [&](const std::string& school, nlohmann::json& problems) {
      auto figures = service.figures(school);
      for (const auto& c : service.concerns(school))
        problems.push_back(school.empty()
                               ? nlohmann::json{{"problem", c.problem}, {"action", c.action}}
                               : nlohmann::json{{"school", school},
                                                {"problem", "school " + school + ": " + c.problem},
                                                {"action", c.action}});
      nlohmann::json sinks = nlohmann::json::object();
      for (const auto& [name, h] : figures.sinks) sinks[name] = toString(h.state);
      return nlohmann::json{{"last_sync", figures.last_sync},
                            {"next_sync", figures.next_sync},
                            {"next_retry", figures.next_retry},
                            {"sinks", sinks}};
    };
    nlohmann::json problems = nlohmann::json::array();
    nlohmann::json body;
    if (!many) {
      body = healthOf("", problems);
    } else {
      nlohmann::json schools = nlohmann::json::array();
      for (const auto& school : service.schools()) {
        nlohmann::json mine = nlohmann::json::array();
        auto one = healthOf(school, mine);
        one["school"] = school;
        one["status"] = mine.empty() ? "ok" : "degraded";
        schools.push_back(one);
        problems.insert(problems.end(), mine.begin(), mine.end());
      }
      for (const auto& [school, c] : service.schoolsNotAdded())
        problems.push_back({{"school", school}, {"problem", c.problem}, {"action", c.action}});
      body = {{"schools", schools}};
    }
    body["status"] = problems.empty() ? "ok" : "degraded";
    body["problems"] = problems;
    return send(response, HTTPResponse::HTTP_OK,
                body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  if (request.get("Authorization", "") != "Bearer " + token) {
    response.set("WWW-Authenticate", "Bearer realm=\"markbridge\"");
    return send(response, HTTPResponse::HTTP_UNAUTHORIZED,
                nlohmann::json{{"error", "a bearer token is required"}}.dump());
  }
  auto schools = service.schools();
  if (!urn.empty() && !service.config(urn))
    return send(response, HTTPResponse::HTTP_NOT_FOUND,
                nlohmann::json{{"error", "no school with URN " + urn + "; the schools are " +
                                             urnList(schools)}}
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!urn.empty()) schools = {urn};
  int64_t nowMs = static_cast<int64_t>(std::time(nullptr)) * 1000;
  // Reads use their own connection to the store: they never wait for a sync.
  if (path == "/metrics" && method == "GET") {
    std::vector<ServiceFigures> figures;
    figures.reserve(schools.size());
    for (const auto& school : schools) figures.push_back(service.figures(school));
    std::vector<SchoolMetrics> metrics;
    metrics.reserve(schools.size());
    for (std::size_t i = 0; i < schools.size(); ++i) {
      std::vector<SinkOutboxStats> outbox;
      try {
        outbox = service.openStore(schools[i])->outboxBySink();
      } catch (const StoreError&) {
        if (!many) throw;  // a trust's other schools are still counted; /status says why
      }
      metrics.push_back(SchoolMetrics{many ? schools[i] : "", figures[i], std::move(outbox)});
    }
    std::string text = prometheusText(metrics, nowMs);
    if (many)
      text +=
          "# HELP markbridge_schools_not_added Schools in the configuration the last reload "
          "could not add (their stores could not be opened); /health names them.\n# TYPE "
          "markbridge_schools_not_added gauge\nmarkbridge_schools_not_added " +
          std::to_string(service.schoolsNotAdded().size()) + "\n";
    return send(response, HTTPResponse::HTTP_OK, text, "text/plain; version=0.0.4");
  }
  auto statusOf = [&](const std::string& school) {
    auto figures = service.figures(school);
    auto store = service.openStore(school);
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
    return nlohmann::json{
        {"pupils", s.pupils},
        {"marks", s.marks},
        {"imports", s.imports},
        {"last_import_at", s.last_import_at},
        {"active_events", s.active_events},
        {"last_sync", figures.last_sync},
        {"next_sync", figures.next_sync},
        {"next_retry", figures.next_retry},
        {"between_registers",
         {{"retry_runs", figures.retry_runs}, {"delivered", figures.delivered_between_registers}}},
        {"syncs",
         {{"ok", figures.syncs_ok},
          {"failed", figures.syncs_failed},
          {"skipped", figures.syncs_skipped}}},
        {"outbox", sinks},
        {"sync_running", syncRunning(service.syncRunning(school))},
        {"outbox_claims", outboxClaims(store->outboxClaims(nowMs))}};
  };
  if (path == "/status" && method == "GET") {
    nlohmann::json body;
    if (!many) {
      body = statusOf("");
    } else {
      body["schools"] = nlohmann::json::array();
      for (const auto& school : schools) {
        auto config = service.config(school);
        // One school's store that cannot be read is said in its entry; the others are shown.
        nlohmann::json one, problems = nlohmann::json::array();
        try {
          one = statusOf(school);
        } catch (const StoreError& e) {
          one = {{"error", std::string("its store cannot be read: ") + e.what()}};
          problems.push_back(
              {{"problem", std::string("the school's store cannot be read: ") + e.what()},
               {"action",
                "`markbridge status --school " + school +
                    "` says what is wrong with it (docs/operations.md, 'Back up the SQLite "
                    "store'); its syncs go on while its running connection lasts"}});
        }
        one["school"] = {{"urn", school},
                         {"name", config ? config->school.name : ""},
                         {"la", config ? config->school.la : ""},
                         {"estab", config ? config->school.estab : ""}};
        // Is this school doing its job: what /health says of it.
        for (const auto& c : service.concerns(school))
          problems.push_back({{"problem", c.problem}, {"action", c.action}});
        one["health"] = {{"status", problems.empty() ? "ok" : "degraded"}, {"problems", problems}};
        body["schools"].push_back(one);
      }
      body["schools_not_added"] = nlohmann::json::array();
      for (const auto& [school, c] : service.schoolsNotAdded())
        body["schools_not_added"].push_back(
            {{"urn", school}, {"problem", c.problem}, {"action", c.action}});
    }
    body["config"] = service.configFile().string();
    body["worker"] = thisWorker();
    return send(response, HTTPResponse::HTTP_OK,
                body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  // What acts on one school's store needs that school named.
  if (many && urn.empty() && (path == "/sync" || path == "/outbox" || path.starts_with("/outbox/")))
    return send(response, HTTPResponse::HTTP_BAD_REQUEST,
                nlohmann::json{{"error", "this service serves " + std::to_string(schools.size()) +
                                             " schools: name one, " + path + "?school=URN (" +
                                             urnList(schools) + ")"}}
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (path == "/sync" && method == "POST") {
    bool busy = false;
    auto report =
        service.syncNow(many ? "sync of school " + urn + " asked for through the admin API"
                             : "sync asked for through the admin API",
                        busy, urn);
    if (!report)
      return send(
          response, HTTPResponse::HTTP_CONFLICT,
          nlohmann::json{{"error", "a sync is running; try again when it has finished"}}.dump());
    int imported = 0;
    for (const auto& i : report->imports)
      imported += i.outcome.marks_added + i.outcome.marks_amended;
    nlohmann::json body = {{"marks_imported", imported},
                           {"new_events", report->evaluation.new_events},
                           {"delivered", report->delivery.delivered},
                           {"retried", report->delivery.retried},
                           {"dead_lettered", report->delivery.rejected},
                           {"pending", report->delivery.pending_left}};
    if (many) body["school"] = urn;
    return send(response, HTTPResponse::HTTP_OK, body.dump());
  }
  auto store = service.openStore(urn);
  if (path == "/outbox" && method == "GET") {
    std::optional<OutboxState> state;
    for (const auto& [key, value] : uri.getQueryParameters()) {
      if (key != "state") continue;
      state = outboxStateFrom(value);
      if (!state)
        return send(response, HTTPResponse::HTTP_BAD_REQUEST,
                    nlohmann::json{{"error", "unknown state '" + value +
                                                 "': use pending, delivered, dead or discarded"}}
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : store->outbox(state, 500)) items.push_back(itemJson(item));
    return send(response, HTTPResponse::HTTP_OK, nlohmann::json{{"items", items}}.dump());
  }
  static const std::regex retry(R"(^/outbox/([0-9]+)/retry$)");
  std::smatch match;
  if (method == "POST" && std::regex_match(path, match, retry)) {
    int64_t seq = 0;
    const std::string digits = match[1];
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (error != std::errc() || end != digits.data() + digits.size())
      return send(
          response, HTTPResponse::HTTP_BAD_REQUEST,
          nlohmann::json{{"error", "'" + digits + "' is not an outbox item number"}}.dump());
    bool done = store->retryOutbox(seq, nowMs);
    return send(response, done ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_NOT_FOUND,
                nlohmann::json{{"retried", done}}.dump());
  }
  send(response, HTTPResponse::HTTP_NOT_FOUND,
       nlohmann::json{{"error", "no such endpoint"}}.dump());
}

AdminApi::AdminApi(Service& service, const ServiceConfig& config)
    : impl_(std::make_unique<Impl>(service)) {
  std::string error;
  auto token = readSecret(config.admin_token_env, config.admin_token_file, error);
  if (!token)
    throw std::runtime_error(
        "the admin API needs its token (service.admin_token_env or "
        "admin_token_file): " +
        error);
  impl_->token = *token;
  if (!config.console_users_file.empty())
    impl_->console = std::make_unique<Console>(service, config, service.config()->base_dir);
  Poco::Net::SocketAddress address(config.admin_bind, static_cast<uint16_t>(config.admin_port));
  if (!config.admin_cert.empty()) {
    initialiseTls();
    Poco::Net::Context::Params params;
    params.certificateFile = config.admin_cert.string();
    params.privateKeyFile = config.admin_key.string();
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    params.ecdhCurve = kKeyExchangeGroups;
    impl_->context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    impl_->socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, impl_->context);
  } else {
    impl_->socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
  }
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(kWorkers);
  params->setMaxQueued(kQueued);
  params->setKeepAlive(false);
  params->setTimeout(
      Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(kHeadDeadline).count()));
  impl_->tcp = std::make_unique<Poco::Net::TCPServer>(
      new ConnectionFactory(params, new Factory(*impl_), impl_->deadlines), impl_->pool,
      *impl_->socket, params);
  impl_->tcp->start();
}

AdminApi::~AdminApi() {
  if (!impl_ || !impl_->tcp) return;
  impl_->tcp->stop();         // no new connections
  impl_->deadlines.cutAll();  // clients still sending their request are cut
  impl_->pool.joinAll();      // requests being answered finish
}

uint16_t AdminApi::port() const {
  return impl_->socket->address().port();
}

}  // namespace markbridge
